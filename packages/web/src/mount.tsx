import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { installResilientFetch } from './connection.js';
import './styles.css';

/** Renders the portal into `root`. */
export function mount(root: HTMLElement): void {
  installResilientFetch();
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
