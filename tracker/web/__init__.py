"""The pages (server-rendered, ``templates/web/``): views per role, forms, SVG charts.

Thin: a GET is one call into a selector, a POST one call into a service inside
``curriculum.kernel.forms.service_errors``, so a refusal shows in place. It never imports
``tracker.api``, and no room imports it."""
