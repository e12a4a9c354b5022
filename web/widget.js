// The one script a site embeds to offer a chat:
//
//   <script src="https://chat.example.com/widget.js" data-widget="harbor-web" async></script>
//
// Optional attributes: data-label (the launcher's text, default "Chat with
// us"), data-name (the visitor's name, for the bot's greeting).
//
// It adds a launcher button to the page and, on the first click, a frame
// with the chat page (/widget?widget=...) from the server the script came
// from; the button then opens and closes it. Escape in the chat, or its
// close button, closes it and gives the focus back to the launcher. The
// markup lives in a shadow root so the site's styles and ours stay apart.
(() => {
  const script = document.currentScript ??
    document.querySelector('script[data-widget][src*="widget.js"]');
  if (!script || script.dataset.switchboardLoaded) return;
  script.dataset.switchboardLoaded = 'true';
  const origin = new URL(script.src, location.href).origin;
  const widget = script.dataset.widget ?? '';
  const label = script.dataset.label || 'Chat with us';

  const host = document.createElement('div');
  host.className = 'switchboard-chat';
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `
    <style>
      :host { all: initial; }
      .launcher {
        position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;
        display: inline-flex; align-items: center; gap: .5rem;
        font: 600 15px/1.2 system-ui, sans-serif; color: #fff; background: #1f4fd1;
        border: 0; border-radius: 999px; padding: 12px 18px; cursor: pointer;
        box-shadow: 0 4px 14px rgba(0,0,0,.25);
      }
      .launcher:focus-visible { outline: 3px solid #f59e0b; outline-offset: 3px; }
      .badge {
        min-width: 1.3em; padding: 0 .35em; border-radius: 999px; background: #fff; color: #1f4fd1;
        font-size: 12px; line-height: 1.3em; text-align: center;
      }
      .badge[hidden] { display: none; }
      .panel {
        position: fixed; right: 20px; bottom: 76px; z-index: 2147483647;
        width: min(380px, calc(100vw - 40px)); height: min(600px, calc(100vh - 100px));
        border-radius: 12px; overflow: hidden; background: #fff;
        box-shadow: 0 8px 30px rgba(0,0,0,.3);
      }
      .panel[hidden] { display: none; }
      iframe { width: 100%; height: 100%; border: 0; display: block; }
    </style>
    <div class="panel" id="panel" role="dialog" aria-label="Chat" hidden></div>
    <button type="button" class="launcher" id="launcher" aria-expanded="false" aria-controls="panel">
      <span class="text"></span><span class="badge" hidden></span>
    </button>`;
  const launcher = root.getElementById('launcher');
  const panel = root.getElementById('panel');
  const badge = root.querySelector('.badge');
  launcher.querySelector('.text').textContent = label;
  let frame = null;

  function post(msg) {
    frame?.contentWindow?.postMessage({ source: 'switchboard-widget', ...msg }, origin);
  }

  function setOpen(open, { focusLauncher = false } = {}) {
    if (open && !frame) {
      const q = new URLSearchParams({ widget });
      if (script.dataset.name) q.set('name', script.dataset.name);
      frame = document.createElement('iframe');
      frame.src = `${origin}/widget?${q}`;
      frame.title = label;
      frame.allow = 'clipboard-write';
      frame.addEventListener('load', () => post({ type: 'visibility', open: !panel.hidden }));
      panel.append(frame);
    }
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    post({ type: 'visibility', open });
    if (open) {
      badge.hidden = true;
      frame.focus();
    } else if (focusLauncher) {
      launcher.focus();
    }
  }

  launcher.addEventListener('click', () => setOpen(panel.hidden));
  root.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !panel.hidden) setOpen(false, { focusLauncher: true });
  });

  // Messages from the chat page: close, and how many messages are unread.
  window.addEventListener('message', (ev) => {
    if (!frame || ev.source !== frame.contentWindow || ev.origin !== origin) return;
    const d = ev.data;
    if (d?.source !== 'switchboard-widget') return;
    if (d.type === 'close') setOpen(false, { focusLauncher: true });
    else if (d.type === 'unread') {
      badge.textContent = String(d.count);
      badge.hidden = !(d.count > 0) || !panel.hidden;
      launcher.setAttribute('aria-label', d.count > 0 ? `${label} (${d.count} unread)` : label);
    }
  });

  const mount = () => document.body.append(host);
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
