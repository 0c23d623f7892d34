"""Publishing CTDL graph documents to a Credential Registry, and a local registry to publish to.

* ``config`` / ``client`` / ``journal`` / ``publish`` / ``commands`` — the publish client
  (``ctdl publish``, ``ctdl unpublish``, ``ctdl fetch``, ``ctdl registry status``).
* ``server`` — the local stand-in registry (direct Registry API + Registry Assistant API).
"""
