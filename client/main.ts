// Entry point of the browser app: registers the service worker (offline app shell) and the shell.
import './components/app/flowshelf-app.js';

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { type: 'module' }).catch((err: unknown) => {
      // The app works without it; only offline start-up is lost.
      console.warn('Service worker not registered:', err);
    });
  });
}
