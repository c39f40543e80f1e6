// The chronology's print view: its button opens the browser's print dialogue.
for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print())
}
