/* Tributary Link pages. Every screen works without this script except embedding, where it
   talks to the host page: only via postMessage to the pinned host origin. */
(function () {
  'use strict';

  var SOURCE = 'tributary-link';
  var body = document.body;
  var hostOrigin = body.getAttribute('data-host-origin');
  var embedded = !!hostOrigin && window.parent !== window;
  document.documentElement.classList.add('js');

  /* Messages go to the embedding page's origin only, never "*". */
  function post(message) {
    if (!embedded) {
      return;
    }
    message.source = SOURCE;
    window.parent.postMessage(message, hostOrigin);
  }

  post({ type: 'ready' });
  var pending = body.getAttribute('data-message');
  if (pending) {
    try {
      post(JSON.parse(pending));
    } catch (e) {
      /* A malformed message is a server bug; the page itself still shows what happened. */
    }
  }

  function close() {
    post({ type: 'exit' });
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && embedded) {
      close();
    }
  });

  /* Picker: filter the list as the user types (the form also works without script, via ?q=). */
  var filter = document.querySelector('[data-filter]');
  if (filter) {
    var list = document.getElementById(filter.getAttribute('data-filter'));
    var empty = document.getElementById('no-match');
    var apply = function () {
      var query = filter.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(list.querySelectorAll('li'), function (item) {
        var match = !query || item.getAttribute('data-search').indexOf(query) >= 0;
        item.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (empty) {
        empty.hidden = shown > 0;
      }
    };
    filter.addEventListener('input', apply);
    filter.form.addEventListener('submit', function (event) {
      event.preventDefault();
      apply();
    });
    apply();
  }

  /* Forms that start work on the server submit once. */
  Array.prototype.forEach.call(document.querySelectorAll('form[data-busy]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-submitted')) {
        event.preventDefault();
        return;
      }
      form.setAttribute('data-submitted', 'true');
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        button.setAttribute('aria-busy', 'true');
      }
    });
  });

  /* Embedded OAuth: providers refuse to be framed, so sign-in runs in a popup while this page
     polls the session; once complete it collects the public token with a POST (form token). */
  var oauth = document.querySelector('[data-oauth="popup"]');
  if (oauth) {
    var waiting = document.querySelector('[data-waiting]');
    var finish = document.querySelector('form[data-finish]');
    var timer = null;
    var openPopup = function () {
      var width = 520;
      var height = 680;
      var left = Math.round(window.screenX + Math.max(0, (window.outerWidth - width) / 2));
      var top = Math.round(window.screenY + Math.max(0, (window.outerHeight - height) / 2));
      window.open(oauth.href, 'tributary-oauth',
        'noopener,popup,width=' + width + ',height=' + height + ',left=' + left + ',top=' + top);
    };
    var poll = function () {
      if (timer) {
        return;
      }
      timer = window.setInterval(function () {
        fetch(waiting.getAttribute('data-status-url'), { cache: 'no-store', credentials: 'omit' })
          .then(function (response) { return response.json(); })
          .then(function (status) {
            if (status.status === 'completed') {
              window.clearInterval(timer);
              finish.submit();
            } else if (status.status !== 'open') {
              window.clearInterval(timer);
              window.location.reload();
            }
          })
          .catch(function () { /* Try again on the next tick. */ });
      }, 1500);
    };
    oauth.addEventListener('click', function (event) {
      event.preventDefault();
      openPopup();
      waiting.hidden = false;
      poll();
    });
    var reopen = document.querySelector('[data-action="reopen"]');
    if (reopen) {
      reopen.addEventListener('click', openPopup);
    }
  }

  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target.closest('[data-action]') : null;
    if (!target) {
      return;
    }
    var action = target.getAttribute('data-action');
    if (action === 'close') {
      event.preventDefault();
      close();
    } else if (action === 'copy') {
      var source = document.querySelector('[data-copy-source]');
      var copied = function () {
        target.textContent = target.getAttribute('data-copied');
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(copied, function () {
          source.select();
        });
      } else {
        source.select();
        if (document.execCommand && document.execCommand('copy')) {
          copied();
        }
      }
    }
  });

  /* The OAuth callback in a popup: the embedded page takes over, this window can go. */
  if (body.getAttribute('data-close-window') === 'true') {
    window.setTimeout(function () { window.close(); }, 1500);
  }
}());
