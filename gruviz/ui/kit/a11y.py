"""What every page needs for a keyboard, a screen reader and a projector, beyond what
Streamlit draws by itself: contrast for grey text, no focus frame around the whole page,
names for controls whose Streamlit markup names them twice, keys that work the moment a
mode is switched on, and a shortcut's key named as the person's keyboard prints it.

The script is ours and fixed (no text a person typed reaches it); it is mounted once per
page and watches the page for what Streamlit re-renders.
"""

from __future__ import annotations

import json

import streamlit as st

from ...text import pgettext

# Streamlit's caption grey (drawn at 60% opacity) is 4.37:1 on white and its shortcut hints 2.6:1;
# WCAG AA asks 4.5:1.
_STYLE = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {color: #4b5563 !important;
  opacity: 1 !important;}
[data-has-shortcut="true"] kbd, [data-testid="stWidgetLabel"] kbd, kbd {color: #374151 !important; opacity: 1 !important;}
[data-testid="stBaseButton-primary"] kbd {color: #ffffff !important;}
[data-testid="stMain"]:focus, [data-testid="stMain"]:focus-visible, [data-testid="stAppViewContainer"]:focus {outline: none;}
.st-key-gruviz_a11y {display: none;}
kbd:has(+ kbd[data-gruviz-key]) {display: none !important;}
.st-key-page_title h1 {font-size: 1.75rem; padding: 0.25rem 0 0.5rem 0;}
.st-key-step_bar [data-testid="stButton"] [data-testid="stMarkdownContainer"] {position: absolute !important;
  width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;}
</style>"""

_SCRIPT = r"""<script>
(() => {
  if (window.__gruvizA11y) return;
  window.__gruvizA11y = true;
  const doc = document;
  const revealOn = () => !!doc.querySelector('.st-key-reveal_next button');
  let focusHanded = false;  // a switched-on mode has moved the focus to the step bar once
  let lostFocus = null;  // the key of a clicked control that may vanish or turn off on the rerun
  doc.addEventListener('click', (event) => {
    const holder = event.target.closest && event.target.closest('[class*="st-key-exercise_show_"], '
      + '.st-key-step_next, .st-key-step_last');
    const key = holder && (holder.className.match(/st-key-(\S+)/) || [])[1];
    if (key) lostFocus = key.startsWith('exercise_show_') ? key : 'step';
  }, true);
  // React Aria labels a slider's input by itself and by its group: "Step Step". One name is enough.
  const fix = () => {
    doc.querySelectorAll('input[type=range][aria-label][aria-labelledby]').forEach(
      (input) => input.removeAttribute('aria-labelledby'));
    // An exercise box's feedback is a status region tied to its box; a wrong number marks the box.
    doc.querySelectorAll('[class*="st-key-feedback_"]').forEach((region) => {
      const suffix = (region.className.match(/st-key-feedback_(\S+)/) || [])[1];
      const input = suffix && doc.querySelector(`.st-key-exercise_${suffix} input`);
      if (!input) return;
      if (region.id !== `feedback-${suffix}`) {
        region.id = `feedback-${suffix}`;
        region.setAttribute('role', 'status');
        region.setAttribute('aria-live', 'polite');
      }
      const text = region.textContent || '';
      const invalid = text.trim() !== '' && !text.includes('✓');
      if (input.getAttribute('aria-describedby') !== region.id) input.setAttribute('aria-describedby', region.id);
      if (input.getAttribute('aria-invalid') !== String(invalid)) input.setAttribute('aria-invalid', String(invalid));
    });
    // A control that vanished or was switched off by its own click (Show this number, the last
    // step) hands the focus to its neighbour instead of dropping it on the page.
    if (lostFocus && (!doc.activeElement || doc.activeElement === doc.body)
        && !doc.querySelector('[data-test-script-state=running]')) {
      const next = lostFocus.startsWith('exercise_show_')
        ? doc.querySelector(`.st-key-exercise_${lostFocus.slice('exercise_show_'.length)} input`)
        : doc.querySelector('.st-key-step_prev button:not([disabled])');
      lostFocus = null;
      if (next) next.focus();
    }
    // An equation or a code box wider than the screen scrolls sideways: the keyboard must reach it too.
    // (KaTeX ends an aligned block with a 2-px spacer for Safari: that much is no hidden text.)
    doc.querySelectorAll('.katex-display, [data-testid="stCode"] pre').forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 2.5) {
        if (box.getAttribute('tabindex') !== '0') box.setAttribute('tabindex', '0');
      } else if (box.hasAttribute('tabindex')) {
        box.removeAttribute('tabindex');
      }
    });
    // Streamlit prints a shortcut's key as an English keyboard does ("Home", "Space"), in every language. Where
    // the person's keyboard prints another name ("Inicio": window.__gruvizKeyNames), a copy of its badge
    // (same look) shows that name and the style above hides Streamlit's; Streamlit still handles the key.
    // The copy is not read out (the button's name is its label); aria-keyshortcuts names the key instead.
    const names = window.__gruvizKeyNames || {};
    doc.querySelectorAll('kbd[data-gruviz-key]').forEach((ours) => {
      const theirs = ours.previousElementSibling;  // gone or renamed when the shortcut or the language changed
      if (theirs && theirs.textContent === ours.dataset.gruvizKey && names[theirs.textContent]) return;
      ours.closest('button')?.removeAttribute('aria-keyshortcuts');
      ours.remove();
    });
    doc.querySelectorAll('[data-has-shortcut="true"] > kbd:not([data-gruviz-key])').forEach((theirs) => {
      const name = names[theirs.textContent];
      if (!name) return;
      let ours = theirs.nextElementSibling;
      if (!ours || !ours.hasAttribute('data-gruviz-key')) {
        ours = theirs.cloneNode(false);
        ours.removeAttribute('aria-label');
        ours.setAttribute('aria-hidden', 'true');
        ours.dataset.gruvizKey = theirs.textContent;
        theirs.after(ours);
        theirs.closest('button')?.setAttribute('aria-keyshortcuts', theirs.textContent);
      }
      if (ours.textContent !== name) ours.textContent = name;
    });
    const mode = window.__gruvizFocusAfter;
    const input = mode && doc.querySelector(`.st-key-${mode} input`);
    if (input && input.checked && !doc.querySelector('[data-test-script-state=running]')) {
      const target = doc.querySelector('.st-key-reveal_next button:not([disabled])')
        || doc.querySelector('.st-key-step_next button:not([disabled])')
        || doc.querySelector('.st-key-step_prev button:not([disabled])');
      // The mode stays armed until the person acts: a later run (the Keras column arriving)
      // may draw the step bar anew and drop the focus on the page, which then comes back here.
      const dropped = !doc.activeElement || doc.activeElement === doc.body;
      if (target && (!focusHanded || dropped)) {
        focusHanded = true;
        target.focus();
      }
    }
  };
  let queued = false;  // at most one pass a frame: measuring widths forces a layout
  const later = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(() => { queued = false; fix(); });
    }
  };
  // Widths change without a mutation when KaTeX's fonts arrive or the window turns.
  doc.fonts.addEventListener('loadingdone', later);
  window.addEventListener('resize', later);
  new MutationObserver(later).observe(doc.body, {childList: true, subtree: true, attributes: true,
                                               attributeFilter: ['data-test-script-state', 'disabled']});
  // A mode switched on hands the keyboard to the step bar: → and Space work at once.
  const armed = (event) => {
    const toggle = event.target.closest && event.target.closest('.st-key-present, .st-key-reveal');
    if (toggle) {
      window.__gruvizFocusAfter = toggle.classList.contains('st-key-present') ? 'present' : 'reveal';
      focusHanded = false;
    }
  };
  doc.addEventListener('click', armed, true);
  doc.addEventListener('keyup', armed, true);
  const disarm = (event) => {
    if (!(event.target.closest && event.target.closest('.st-key-present, .st-key-reveal'))) {
      window.__gruvizFocusAfter = null;
    }
  };
  doc.addEventListener('pointerdown', disarm, true);
  doc.addEventListener('keydown', disarm, true);
  // While reveal is on, Space uncovers the next number; it never flips a switch off.
  doc.addEventListener('keydown', (event) => {
    if (event.key !== ' ' || !revealOn()) return;
    const target = event.target;
    if (target.closest && target.closest('.st-key-present, .st-key-reveal, .st-key-compare_keras')) {
      event.preventDefault();
      event.stopPropagation();
      doc.querySelector('.st-key-reveal_next button').click();
    }
  }, true);
  fix();
})();
</script>"""


def key_names() -> dict[str, str]:
    """The keys Streamlit prints as English words (the step bar's Home and End, reveal mode's Space;
    arrows are glyphs) that the person's keyboard names otherwise: Spanish "Inicio", "Fin",
    "Espacio"; a Chinese keyboard prints Home and End, and the space bar is called 空格."""
    names = {"Home": pgettext("keyboard key", "Home"), "End": pgettext("keyboard key", "End"),
             "Space": pgettext("keyboard key", "Space")}
    return {key: name for key, name in names.items() if name != key}


def page(language: str = "en") -> None:
    """Draw once per run, first thing on every page; `<html lang>` names the page's language."""
    with st.container(key="gruviz_a11y"):  # takes no room on the page
        st.html(_STYLE + _SCRIPT, unsafe_allow_javascript=True)
        # Its own element: a new language re-runs this line only, never the script above.
        st.html(f"<script>document.documentElement.lang = {json.dumps(language)};"
                f" window.__gruvizKeyNames = {json.dumps(key_names())};</script>", unsafe_allow_javascript=True)
