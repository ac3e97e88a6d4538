"""A paste longer than a box's cap, said out loud beside the box.

Streamlit's text boxes drop an edit longer than their `max_chars` whole (its frontend ignores
the change, measured with Streamlit 1.67: the box keeps its old text and only its "10/40000"
counter hints why), and nothing reaches the server, so only the browser can tell. This script
stops such a paste before the browser copies megabytes into the box, and shows one sentence
under the box, read out by screen readers (role="alert"); the next edit of the box removes it.

The script is ours and fixed; only numbers and a sentence of our own, as JSON, are put into it.
"""

from __future__ import annotations

import json

import streamlit as st

from ...text import _

_SCRIPT = """<style>
/* the holder and its wrapper: a hidden holder alone still takes a gap in the sidebar */
.st-key-gruviz_paste_note, [data-testid="stLayoutWrapper"]:has(> .st-key-gruviz_paste_note) {
  display: none !important;}
.gruviz-paste-note {color: #b42318; font-size: 0.875rem; margin-top: 0.25rem; line-height: 1.4;}
</style>
<script>
(() => {
  if (window.__gruvizPasteNote) return;
  window.__gruvizPasteNote = true;
  const CAPS = __CAPS__;
  const SAY = __SAY__;
  const doc = document;
  const boxOf = (el) => {
    if (!el || !el.closest) return null;
    for (const key of Object.keys(CAPS)) {
      const holder = el.closest(`.st-key-${key}`);
      if (holder) return [key, holder];
    }
    return null;
  };
  const clear = (holder) => holder.querySelectorAll('.gruviz-paste-note').forEach((n) => n.remove());
  doc.addEventListener('paste', (event) => {
    const el = event.target;
    const found = (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && boxOf(el);
    if (!found) return;
    const [key, holder] = found;
    clear(holder);
    const pasted = (event.clipboardData && event.clipboardData.getData('text')) || '';
    const kept = el.value.length - Math.abs((el.selectionEnd || 0) - (el.selectionStart || 0));
    const length = kept + pasted.length;
    if (length <= CAPS[key]) return;
    event.preventDefault();  // Streamlit would drop it anyway, after copying it all into the box
    const note = doc.createElement('div');
    note.className = 'gruviz-paste-note';
    note.setAttribute('role', 'alert');
    note.textContent = SAY.replace('{length}', length.toLocaleString('en-US'))
      .replace('{cap}', CAPS[key].toLocaleString('en-US'));
    holder.appendChild(note);
  }, true);
  doc.addEventListener('input', (event) => {
    const found = boxOf(event.target);
    if (found) clear(found[1]);
  }, true);
})();
</script>"""


def mount(caps: dict[str, int]) -> None:
    """Watch the boxes keyed in `caps` (widget key → max_chars); draw on every run of the page."""
    say = _("The pasted text is {length} characters long, and this box takes at most {cap}, so nothing was "
            "pasted. For a larger example, use the command line (python -m gruviz).")
    script = _SCRIPT.replace("__CAPS__", json.dumps(caps)).replace("__SAY__", json.dumps(say))
    with st.container(key="gruviz_paste_note"):  # takes no room on the page
        st.html(script, unsafe_allow_javascript=True)
