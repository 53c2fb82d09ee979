// Klantreis' command queue, as every shop embeds it: calls made before the widget has loaded wait
// in klantreis.q. A file rather than an inline script, because the shop's CSP forbids inline code.
window.klantreis = window.klantreis || function () { (window.klantreis.q = window.klantreis.q || []).push(arguments); };
