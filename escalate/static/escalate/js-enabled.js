// A static file rather than an inline script, so the Content Security Policy needs no exception.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
