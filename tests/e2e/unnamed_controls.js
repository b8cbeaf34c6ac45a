() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\s+/).some(id => (document.getElementById(id)?.textContent || '').trim())) return true;
    if (el.labels && [...el.labels].some(l => l.textContent.trim())) return true;
    if ((el.getAttribute('title') || '').trim()) return true;
    return false;
  };
  const problems = [];
  for (const el of document.querySelectorAll('button, [role=button], a[href]')) {
    if (!visible(el)) continue;
    const text = (el.innerText || '').replace(/\s+/g, ' ').trim();
    // Material icon ligatures are text, not names: ignore text that is only an icon's name.
    const icons = [...el.querySelectorAll('.q-icon, .material-icons')].map(i => i.textContent.trim());
    let rest = text; for (const i of icons) rest = rest.replace(i, '').trim();
    if (!rest && !named(el)) problems.push('unnamed ' + el.tagName.toLowerCase() + ': ' + el.outerHTML.slice(0, 160));
  }
  for (const el of document.querySelectorAll('input, textarea, select')) {
    if (!visible(el) || el.type === 'hidden') continue;
    if (!named(el)) problems.push('unlabelled ' + el.tagName.toLowerCase() + ': ' + el.outerHTML.slice(0, 160));
  }
  return problems;
}
