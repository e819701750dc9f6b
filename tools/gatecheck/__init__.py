"""Conformance kit for gate controllers speaking gate protocol v2 (docs/gate-protocol.md).

    python -m tools.gatecheck --url http://10.0.0.21:9100/c/7 --id 7 --secret SECRET \\
        [--scan-url URL] [--listen 0.0.0.0:8765] [--tz Asia/Shanghai]

See docs/gatecheck.md. Standard library and `cryptography` only, like tools/gatesim.
"""
