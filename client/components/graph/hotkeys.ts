// The editor's keys, listed in the hotkeys dialog. InvokeAI's keys where its workflow editor has
// them (undo, redo, copy, paste, select all, delete, the hotkeys list); the others are ours.
export interface Hotkey {
  keys: string[];
  action: string;
}

export const GRAPH_HOTKEYS: Hotkey[] = [
  { keys: ['Ctrl+Z', '⌘+Z'], action: 'Undo' },
  { keys: ['Ctrl+Shift+Z', '⌘+Shift+Z', 'Ctrl+Y'], action: 'Redo' },
  { keys: ['Shift+A', 'Space', 'Double click'], action: 'Add a node (search by title, type, tag)' },
  { keys: ['Ctrl+A', '⌘+A'], action: 'Select all nodes' },
  { keys: ['Shift+Click'], action: 'Add to or remove from the selection' },
  { keys: ['Shift+Drag'], action: 'Box select (or drag in Select mode)' },
  { keys: ['Ctrl+C', '⌘+C'], action: 'Copy the selected nodes' },
  { keys: ['Ctrl+V', '⌘+V'], action: 'Paste (with the edges among the pasted nodes)' },
  { keys: ['Ctrl+Shift+V', '⌘+Shift+V'], action: 'Paste with edges (also the connections coming into the copied nodes)' },
  { keys: ['Ctrl+D', '⌘+D'], action: 'Duplicate the selected nodes' },
  { keys: ['Delete', 'Backspace'], action: 'Delete the selection' },
  { keys: ['Tab', 'Shift+Tab'], action: 'Go to the next or previous node' },
  { keys: ['Arrow keys'], action: 'Move the selected nodes (Shift: further)' },
  { keys: ['Enter'], action: 'On a node: go to its first field; on a handle: connect' },
  { keys: ['Escape'], action: 'Back from a field to its node; cancel a connection; clear the selection' },
  { keys: ['+', '-'], action: 'Zoom in, zoom out' },
  { keys: ['Shift+1'], action: 'Fit the view to the graph' },
  { keys: ['Shift+?'], action: 'This list' },
];
