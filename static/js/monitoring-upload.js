// Progressive enhancement of the filter log upload (/monitoring/upload): sends the form with
// XMLHttpRequest so the upload's progress can be shown, then shows the page the server answers
// with (the result, or the form with its error) in place. Without this file, or without
// XMLHttpRequest, FormData or <progress>, the form posts as usual and works the same.
const supported = !!(window.XMLHttpRequest && window.FormData && 'value' in document.createElement('progress'));

function enhance(form) {
  const box = form && form.querySelector('[data-harbour-upload-progress]');
  if (!form || !box || !supported) return;
  const bar = box.querySelector('progress');
  const status = box.querySelector('[data-harbour-upload-status]');
  const button = form.querySelector('button[type="submit"], button:not([type])');
  const say = (text) => { status.textContent = text; };
  const mb = (n) => (n / 1048576).toFixed(n < 10485760 ? 1 : 0);
  let sending = false;
  form.addEventListener('submit', (event) => {
    const input = form.querySelector('input[type="file"]');
    // No file chosen: let the server say so, as it does without JavaScript.
    if (!input || !input.files || !input.files.length || sending) return;
    event.preventDefault();
    sending = true;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.responseType = 'text';
    box.hidden = false;
    bar.value = 0;
    bar.textContent = '0%';
    if (button) button.disabled = true;
    say('Uploading…');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.floor((100 * e.loaded) / e.total);
      bar.value = pct;
      bar.textContent = pct + '%';
      say('Uploading: ' + pct + '% (' + mb(e.loaded) + ' of ' + mb(e.total) + ' MB)');
    });
    xhr.upload.addEventListener('load', () => {
      bar.value = 100;
      bar.textContent = '100%';
      say('Uploaded. Harbour is reading the log; this can take a minute for a large one.');
    });
    xhr.addEventListener('load', () => {
      const type = xhr.getResponseHeader('content-type') || '';
      if ((xhr.status === 200 || xhr.status === 400) && type.startsWith('text/html')) {
        // Show the server's page in place: its title and main content.
        const doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        const main = document.querySelector('main');
        const next = doc.querySelector('main');
        if (main && next) {
          document.title = doc.title;
          main.innerHTML = next.innerHTML;
          // The form again, with its error: enhanced as before.
          enhance(main.querySelector('form[data-harbour-upload]'));
          const focus = main.querySelector('.govuk-error-summary') || main.querySelector('h1');
          if (focus) {
            focus.setAttribute('tabindex', '-1');
            focus.focus();
          }
          return;
        }
      }
      sending = false;
      if (button) button.disabled = false;
      say('The upload did not finish (the server answered ' + xhr.status + '). Try again, or ask your IT provider to use harbour monitor ingest.');
    });
    xhr.addEventListener('error', () => {
      sending = false;
      if (button) button.disabled = false;
      say('The upload failed: the connection was lost. Check the connection and try again.');
    });
    xhr.send(new FormData(form));
  });
}

enhance(document.querySelector('form[data-harbour-upload]'));
