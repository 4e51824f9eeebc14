/** The token prompt: a modal <dialog> (focus is trapped by the browser; Esc cancels). */
import { h } from './dom.js';

export function askToken(wasRejected: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'token-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'token-title' }, 'Token'),
        h('p', { id: 'token-help' }, wasRejected ? 'The server did not accept that token. Enter the token it was started with.' : 'This server needs a bearer token (its --token). It is kept for this tab only.'),
        h('label', { class: 'field' }, h('span', {}, 'Bearer token'), input),
        h('div', { class: 'row end' }, h('button', { type: 'submit', value: 'cancel', formnovalidate: true, class: 'secondary' }, 'Cancel'), h('button', { type: 'submit', value: 'ok' }, 'Use token')),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok' && input.value ? input.value : null);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** A yes/no confirmation as a modal dialog; resolves true only on an explicit yes. */
export function confirmDialog(title: string, text: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'confirm-title' },
      h('form', { method: 'dialog' }, h('h2', { id: 'confirm-title' }, title), h('p', {}, text), h('div', { class: 'row end' }, h('button', { type: 'submit', value: 'no', class: 'secondary', autofocus: true }, 'Cancel'), h('button', { type: 'submit', value: 'yes', class: 'danger' }, yes))),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
