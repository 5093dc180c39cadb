"""The simulated line: devices as real TCP servers on loopback, and the scenes they see.

- `camera`: `CameraSimulator`, a Cognex DataMan or Keyence SR smart camera answering triggers
  in its wire format, and `Shot`, what it decoded from the scene at one trigger.

Import the modules themselves: this package imports nothing, so that a module pays only for
what it uses (the scenes render and decode real pixels).
"""
