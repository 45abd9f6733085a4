"""``costlm web``: a JSON API under /api/v1 and server-rendered pages over the same ``costlm.api``.

Thin like the CLI: request models in, result models out, words at render time (``costlm.report``,
``costlm.i18n``). ``create_app`` (``costlm.web.app``) builds the FastAPI application; FastAPI and
uvicorn are imported only there, so ``costlm --help`` stays fast.
"""
