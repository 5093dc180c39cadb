"""Reports to the regulator's API: delivery of the outbox, and a test server that plays the API.

- `config`: the base URL, partner ID and token (command line, environment, site file);
- `wire`: the requests and answers, and how an answer is judged (one contract for both ends);
- `client`: `Submitter`, which delivers the queued records with retries, exactly once;
- `server`: `RegulatorServer`, the API on loopback with injectable faults; `payloads`, what it
  accepts.

Import the module you need: this package exports nothing itself.
"""
