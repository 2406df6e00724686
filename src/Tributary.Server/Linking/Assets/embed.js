/* Tributary Link embed script: <script src="https://<tributary>/link/embed.js"></script>
 *
 *   TributaryLink.initialize({ linkToken, onSuccess(publicToken, info), onExit(), onReady(), onValidationError(errors) });
 *   TributaryLink.openLink();
 *
 * window.MergeLink is the same object, so pages written for Merge's initialize.js work unchanged.
 * Unlike Merge's script, messages are pinned both ways: the iframe is told this page's origin and
 * posts only to it (and may only be framed by it), and this script accepts messages only from
 * Tributary's origin AND from its own iframe's window.
 */
(function () {
  'use strict';

  var SOURCE = 'tributary-link';
  var script = document.currentScript;
  if (!script || !script.src) {
    window.console && window.console.error('Tributary Link: load embed.js with a <script src="…"> tag.');
    return;
  }
  var tributaryOrigin = new URL(script.src, window.location.href).origin;

  var state = {
    config: null,
    iframe: null,
    ready: false,
    open: false,
    succeeded: false,
    restoreFocus: null,
    overflow: ''
  };

  function call(callback) {
    if (typeof callback !== 'function') {
      return;
    }
    var args = Array.prototype.slice.call(arguments, 1);
    try {
      callback.apply(null, args);
    } catch (error) {
      /* The host's callback failed: surface it without breaking Link. */
      window.setTimeout(function () { throw error; });
    }
  }

  function invalid(detail) {
    var errors = [{ title: 'Invalid Link configuration', detail: detail, problem_type: 'invalid_configuration' }];
    if (state.config && typeof state.config.onValidationError === 'function') {
      call(state.config.onValidationError, errors);
    } else if (window.console) {
      window.console.error('Tributary Link: ' + detail);
    }
  }

  function destroy() {
    if (state.open) {
      close();
    }
    if (state.iframe && state.iframe.parentNode) {
      state.iframe.parentNode.removeChild(state.iframe);
    }
    state.iframe = null;
    state.ready = false;
    state.succeeded = false;
  }

  function initialize(config) {
    destroy();
    state.config = config || {};
    if (typeof state.config.linkToken !== 'string' || state.config.linkToken.length === 0) {
      invalid('linkToken is required: create one with POST /api/{category}/v1/link-token from your backend.');
      return;
    }
    if (!/^https?:$/.test(window.location.protocol)) {
      invalid('Link can only be embedded in a page served over http(s).');
      return;
    }
    var iframe = document.createElement('iframe');
    iframe.id = 'tributary-link-iframe';
    iframe.title = 'Tributary Link';
    iframe.src = tributaryOrigin + '/link/' + encodeURIComponent(state.config.linkToken) +
      '?origin=' + encodeURIComponent(window.location.origin);
    iframe.setAttribute('allow', 'clipboard-write');
    var style = iframe.style;
    style.position = 'fixed';
    style.top = '0';
    style.left = '0';
    style.width = '100%';
    style.height = '100%';
    style.border = '0';
    style.margin = '0';
    style.padding = '0';
    style.zIndex = '2147483647';
    style.background = 'transparent';
    style.colorScheme = 'normal';
    style.display = 'none';
    var container = (state.config.parentContainerID && document.getElementById(state.config.parentContainerID)) || document.body;
    container.appendChild(iframe);
    state.iframe = iframe;
  }

  function update(config) {
    if (!config) {
      return;
    }
    if (config.linkToken && (!state.config || config.linkToken !== state.config.linkToken)) {
      initialize(config);
      return;
    }
    state.config = state.config || {};
    for (var key in config) {
      if (Object.prototype.hasOwnProperty.call(config, key)) {
        state.config[key] = config[key];
      }
    }
  }

  function openLink(config) {
    if (config) {
      update(config);
    }
    if (!state.iframe) {
      invalid('Call initialize({ linkToken, … }) before openLink().');
      return;
    }
    if (state.open) {
      return;
    }
    state.open = true;
    state.restoreFocus = document.activeElement;
    state.overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    state.iframe.style.display = 'block';
    state.iframe.focus();
  }

  function close() {
    if (!state.open || !state.iframe) {
      return;
    }
    state.open = false;
    state.iframe.style.display = 'none';
    document.body.style.overflow = state.overflow;
    if (state.restoreFocus && typeof state.restoreFocus.focus === 'function') {
      state.restoreFocus.focus();
    }
  }

  window.addEventListener('message', function (event) {
    // Only Tributary, and only this script's own iframe: another Tributary frame on the page, or
    // any frame or window of another origin, cannot fake a success.
    if (event.origin !== tributaryOrigin || !state.iframe || event.source !== state.iframe.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || typeof data !== 'object' || data.source !== SOURCE) {
      return;
    }
    var config = state.config || {};
    switch (data.type) {
      case 'ready':
        if (!state.ready) {
          state.ready = true;
          call(config.onReady);
        }
        break;
      case 'success':
        if (typeof data.publicToken === 'string' && !state.succeeded) {
          state.succeeded = true;
          call(config.onSuccess, data.publicToken, { isTokenForOtherPreexistingLinkedAccount: false, integration: data.integration });
        }
        break;
      case 'exit':
        close();
        if (!state.succeeded) {
          call(config.onExit);
        }
        break;
      case 'validation-error':
        call(config.onValidationError, Array.isArray(data.errors) ? data.errors : []);
        break;
      default:
        break;
    }
  });

  var api = {
    initialize: initialize,
    openLink: openLink,
    open: openLink,
    update: update,
    close: close,
    destroy: destroy
  };
  window.TributaryLink = api;
  window.MergeLink = api;
}());
