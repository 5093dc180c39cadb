"""Reports to the regulator and to trading partners, computed from the store.

- `usage`: BPOM's usage report (Regulation 33/2018 Art. 12, annex G): one row for every printed
  primary code of a batch, as the CSV bulk-upload template or as JSON payloads for the API;
- `epcis`: the batch as one EPCIS 2.0 JSON-LD document (commissioning, packing and what
  happened later), streamed; `event_hash`: the CBV 2.0 event hash, each event's ID and its
  idempotency key; `digital_link`: the codes as GS1 Digital Link URIs.

Import the module you need: this package exports nothing itself, so that a command pays only
for the report it writes.
"""
