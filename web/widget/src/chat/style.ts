/** The chat's stylesheet (adopted by the shadow root). 100dvh keeps the input above a phone's
 * keyboard; 16px inputs keep iOS from zooming. */
export const CSS = `.panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;display:flex;flex-direction:column;box-sizing:border-box;width:360px;max-width:calc(100vw - 32px);height:min(560px,calc(100vh - 32px));height:min(560px,calc(100dvh - 32px));background:#fff;border-radius:12px;box-shadow:0 4px 24px #0004;overflow:hidden}
@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:none;height:100vh;height:100dvh;border-radius:0}}
header{display:flex;align-items:center;padding:8px 8px 8px 16px;background:var(--kr,#6b3410);color:#fff}
h2{flex:1;margin:0;font-size:16px}
header .x{color:#fff}
.status,.error{margin:0;padding:0 16px;color:#6b1d1d;font-size:14px}
.log{flex:1 1 0;min-height:72px;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:8px}
.message{max-width:85%;padding:8px 12px;border-radius:12px;background:#f0ede9;white-space:pre-wrap;overflow-wrap:anywhere}
.message.visitor{align-self:flex-end;background:#e3ecfa}
.message.system,.message.bot{align-self:center;background:none;color:#555;font-size:14px}
.code{margin:0 16px 8px;padding:8px 12px;border:2px dashed var(--kr,#6b3410);border-radius:8px}
.code strong{margin-right:8px;font-size:17px;white-space:nowrap}
fieldset{margin:0 16px 8px;padding:0;border:0}
legend{margin-bottom:6px;font-weight:600}
fieldset label{display:inline-flex;align-items:center;gap:4px;margin:0 10px 6px 0}
.send{display:flex;gap:8px;padding:8px 12px;border-top:1px solid #ddd}
textarea,select{box-sizing:border-box;font:inherit;font-size:16px;border:1px solid #888;border-radius:8px;padding:6px 8px}
.send textarea{flex:1;resize:none}
.send button,.buttons button{border:0;border-radius:8px;padding:8px 14px;background:var(--kr,#6b3410);color:#fff}
.buttons button+button{background:#eee;color:#222}
.survey{flex:1 1 auto;min-height:0;overflow-y:auto;padding:8px 0;border-top:1px solid #ddd}
.survey h3{margin:0 16px 8px;font-size:16px}
.survey>label{display:block;margin:8px 16px 4px}
.survey select,.survey textarea{display:block;width:calc(100% - 32px);margin:0 16px}
.buttons{display:flex;gap:8px;margin:12px 16px 0}
.thanks{margin:16px;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}`;
