"""The translator benchmark: the cost of a Wasm-to-Wasm call through the capability
kernel (direct / generic / specialised links, both memory strategies). Run it with
`python -m benchmarks.kernel`; see benchmarks/README.md."""
