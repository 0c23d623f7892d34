"""``ctdl ler``: give issued Learning and Employment Records (Open Badges 2.0/3.0, CLR 2.0) resolvable
Credential Registry links without ever silently breaking a signature.

This package holds the proof layer: pinned JSON-LD contexts (:mod:`.contexts`), issuer keys
(:mod:`.keys`), RDFC-1.0 canonicalization (:mod:`.rdfc`, :mod:`.canon`), compact JWS (:mod:`.jws`) and
verify / sign (:mod:`.proofs`).
"""
