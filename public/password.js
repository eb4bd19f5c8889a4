// "Generate" beside new-password fields: fills in a random password the strength check accepts
// (16 characters from 55 unambiguous ones, about 92 bits) and shows it, so it can be copied.
(function () {
  var ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  function generate() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    var out = '';
    // 55 does not divide 256: values past the last whole multiple are drawn again, so every character is equally likely.
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      while (b >= 220) b = crypto.getRandomValues(new Uint8Array(1))[0];
      out += ALPHABET[b % 55];
    }
    return out;
  }
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('button[data-generate-for]');
    if (!button) return;
    e.preventDefault();
    var input = document.getElementById(button.getAttribute('data-generate-for'));
    if (!input) return;
    input.value = generate();
    input.type = 'text';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
    input.select();
  });
})();
