// Progressive enhancement only: every page works without this file.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
import('/assets/js/govuk-frontend.min.js').then(function (m) { m.initAll(); });
