// The browsable API's page script: submits operation forms with fetch and shows the answer's page in place.
(function () {
  'use strict';

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(';') : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].trim().split('=');
      if (kv[0] === name) return decodeURIComponent(kv.slice(1).join('='));
    }
    return '';
  }

  function fail(form, message) {
    var box = form.querySelector('.error');
    if (!box) {
      box = document.createElement('p');
      box.className = 'error';
      box.setAttribute('role', 'alert');
      form.insertBefore(box, form.querySelector('button[type=submit]'));
    }
    box.textContent = message;
  }

  // The body the form describes: raw JSON when given, else the filled-in fields (empty ones are left out).
  function requestBody(form) {
    var raw = form.querySelector('[data-kind=raw]');
    if (raw && raw.value.trim() !== '') return { json: raw.value };
    var fields = form.querySelectorAll('[data-kind]');
    var hasFile = form.querySelector('[data-kind=file]') !== null;
    var data = hasFile ? new FormData() : {};
    var any = false;
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      var kind = el.getAttribute('data-kind');
      if (kind === 'raw') continue;
      if (kind === 'file') {
        if (el.files && el.files[0]) {
          data.append(el.name, el.files[0]);
          any = true;
        }
        continue;
      }
      if (el.value === '') continue;
      var value = el.value;
      if (kind === 'json') value = JSON.parse(el.value);
      else if (kind === 'number') value = Number(el.value);
      else if (kind === 'boolean') value = el.value === 'true';
      if (hasFile) data.append(el.name, typeof value === 'string' ? value : JSON.stringify(value));
      else data[el.name] = value;
      any = true;
    }
    if (hasFile) return { form: data };
    return any || form.getAttribute('data-method') !== 'DELETE' ? { json: JSON.stringify(data) } : {};
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches || !form.matches('form.api-form')) return;
    event.preventDefault();
    var method = form.getAttribute('data-method');
    var action = form.getAttribute('data-action');
    if (method === 'DELETE' && !window.confirm('Delete ' + action + '?')) return;
    var body;
    try {
      body = requestBody(form);
    } catch (err) {
      fail(form, 'Invalid JSON: ' + err.message);
      return;
    }
    var headers = { Accept: 'text/html', 'X-Requested-With': 'XMLHttpRequest', 'X-CSRFToken': cookie('csrftoken') };
    var init = { method: method, headers: headers, credentials: 'same-origin' };
    if (body.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = body.json;
    } else if (body.form) init.body = body.form;
    fetch(action, init).then(
      function (res) {
        if (res.status === 204) {
          show(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>204 No Content</title>' +
              '<link rel="stylesheet" href="' +
              document.querySelector('link[rel=stylesheet]').href +
              '"></head>' +
              '<body><main id="content"><h1>HTTP 204 No Content</h1><p>' +
              method +
              ' ' +
              action +
              ' succeeded.</p>' +
              '<p><a href="' +
              action.replace(/[^/]+\/$/, '') +
              '">Back to the list</a></p></main></body></html>',
          );
          return;
        }
        return res.text().then(function (text) {
          if (/^\s*</.test(text)) show(text);
          else fail(form, 'HTTP ' + res.status + ': ' + text);
        });
      },
      function (err) {
        fail(form, 'Request failed: ' + err.message);
      },
    );
  }

  // Filter forms: leave empty fields out of the query string.
  function filter(event) {
    var form = event.target;
    if (!form.matches || !form.matches('form.filter-form')) return;
    var inputs = form.querySelectorAll('input, select');
    for (var i = 0; i < inputs.length; i++) if (inputs[i].value === '') inputs[i].disabled = true;
  }

  document.addEventListener('submit', function (event) {
    submit(event);
    filter(event);
  });
})();
