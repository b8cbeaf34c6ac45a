// What HMS pages do after Quasar and Plotly have drawn, for keyboard and screen reader users (WCAG 2.2 AA). Each fix
// is for a framework internal the app cannot reach through props; pages/ui/theme.py loads this file on every page.
(() => {
  'use strict';

  // Quasar's loading bar (a decorative 2 px line) sits outside every landmark: hide it from screen readers.
  // Plotly's toolbar draws its buttons anew with every update: they leave the Tab order (seven stops per chart), as
  // each chart offers its figures as a table and CSV one Tab away; the chart's picture is hidden from screen readers
  // by the page (pages/components/chart_view.py), so the toolbar is hidden with it.
  function tidy() {
    const bar = document.getElementById('q-loading-bar');
    if (bar && bar.getAttribute('aria-hidden') !== 'true') bar.setAttribute('aria-hidden', 'true');
    for (const button of document.querySelectorAll('.modebar-btn:not([tabindex="-1"])')) {
      button.setAttribute('tabindex', '-1');
    }
    // A Quasar table wider than the screen scrolls sideways inside its box: while it does, the box is a Tab stop, so
    // that a keyboard can scroll it with the arrow keys (WCAG 2.1.1).
    for (const box of document.querySelectorAll('.q-table__middle.scroll')) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && box.getAttribute('tabindex') !== '0') box.setAttribute('tabindex', '0');
      else if (!scrolls && box.hasAttribute('tabindex')) box.removeAttribute('tabindex');
    }
  }
  window.addEventListener('resize', () => requestAnimationFrame(tidy));

  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      tidy();
      keepFocus();
      watchDialogs();
    });
  });

  // The phone's navigation drawer: focus moves into it when it opens, back to the menu button when it closes, and
  // Escape closes it (Quasar's drawer does none of these).
  function toggle() {
    return document.querySelector('[data-hms-drawer-toggle]');
  }
  function drawerOf(button) {
    const id = button && button.getAttribute('aria-controls');
    const root = id && document.getElementById(id);
    return root ? root.closest('.q-drawer') || root.querySelector('.q-drawer') || root : null;
  }
  function isOpenOverlay(drawer) {
    return drawer && drawer.classList.contains('q-drawer--mobile') && !drawer.classList.contains('q-layout--prevent-focus');
  }
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const button = toggle();
    const drawer = drawerOf(button);
    if (isOpenOverlay(drawer)) {
      event.preventDefault();
      button.click();
      button.focus();
    }
  });
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-hms-drawer-toggle]');
    if (!button) return;
    const opening = button.getAttribute('aria-expanded') !== 'true';
    let tries = 0;
    const settle = () => {
      const drawer = drawerOf(button);
      if (opening && isOpenOverlay(drawer)) {
        const target = drawer.querySelector('[aria-current="page"]') || drawer.querySelector('a[href], button');
        if (target) target.focus();
      } else if (tries++ < 40) {
        requestAnimationFrame(settle);
      }
    };
    if (opening) requestAnimationFrame(settle);
  });

  // Dialogs: Quasar gives the focus back to the control that opened a dialog when the dialog hides, but the app
  // removes a dialog once it is answered (pages/components/dialogs.py), and then the focus fell to the page's top.
  // The last control focused outside any dialog takes it back; if that control was drawn anew meanwhile (a list
  // refreshed after the change), the page's main content does (the skip link's target).
  let lastOutside = null;
  let dialogOpen = false;
  document.addEventListener('focusin', (event) => {
    if (!event.target.closest('.q-dialog, .q-menu')) lastOutside = event.target;
  });
  function mainContent() {
    const skip = document.querySelector('.nicegui-skip-link');
    const target = skip && document.getElementById(skip.hash.slice(1));
    if (target && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    return target;
  }
  // A list drawn anew (a live refresh after a check-in, a call, a change made elsewhere) replaces its controls: the
  // focused one is gone, and the focus would fall to the page's top. It goes to the element that carries the same
  // data-hms-focus name in the new drawing (the control itself, else the row it was in: pages/components), else to
  // the main content. Controls in dialogs and menus are left to the dialogs' own handling below.
  let lastFocused = null;
  let lastNames = [];
  document.addEventListener('focusin', (event) => {
    if (event.target.closest('.q-dialog, .q-menu')) return;
    lastFocused = event.target;
    lastNames = [];
    for (let node = event.target; node && node !== document.body; node = node.parentElement) {
      if (node.dataset && node.dataset.hmsFocus) lastNames.push(node.dataset.hmsFocus);
    }
  });
  function keepFocus() {
    if (!lastFocused || lastFocused.isConnected || document.querySelector('.q-dialog')) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;  // the page placed it
    for (const name of lastNames) {
      const found = document.querySelector(`[data-hms-focus="${CSS.escape(name)}"]`);
      if (found) {
        if (!found.matches('a[href], button, input, select, textarea, [tabindex]')) found.setAttribute('tabindex', '-1');
        found.focus();
        return;
      }
    }
    const main = mainContent();
    if (main) main.focus();
  }

  function watchDialogs() {
    const open = document.querySelector('.q-dialog') !== null;
    if (dialogOpen && !open) {
      setTimeout(() => {
        const active = document.activeElement;
        if (active && active !== document.body && active.isConnected) return;  // Quasar (or the page) placed it
        const back = lastOutside && lastOutside.isConnected ? lastOutside : mainContent();
        if (back) back.focus();
      }, 50);
    }
    dialogOpen = open;
  }

  function start() {
    tidy();
    observer.observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
