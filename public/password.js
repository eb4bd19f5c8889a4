// "Generate" beside new-password fields: fills in a random password the strength check accepts
// (16 characters from 55 unambiguous ones, about 92 bits) and shows it, so it can be copied.
(() => {
  const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  function generate() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    let out = '';
    // 55 does not divide 256: values past the last whole multiple are drawn again, so every character is equally likely.
    for (let i = 0; i < bytes.length; i++) {
      let b = bytes[i];
      while (b >= 220) b = crypto.getRandomValues(new Uint8Array(1))[0];
      out += ALPHABET[b % 55];
    }
    return out;
  }
  document.addEventListener('click', (e) => {
    const button = e.target.closest?.('button[data-generate-for]');
    if (!button) return;
    e.preventDefault();
    const input = document.getElementById(button.getAttribute('data-generate-for'));
    if (!input) return;
    input.value = generate();
    input.type = 'text';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
    input.select();
  });
})();
