"""The simulated line: devices as real TCP servers on loopback, and the scenes they see.

- `camera`: `CameraSimulator`, a Cognex DataMan or Keyence SR smart camera answering triggers
  in its wire format, and `Shot`, what it decoded from the scene at one trigger;
- `scene`: scenes from real pixels (`PixelScene`, `code_scene`): the label rendered,
  photographed (`photograph`), decoded by the software reader and graded (`grading`);
- `conveyor`: the conveyor with product detect, encoder and reject actuator, as line I/O;
- `line`: a whole simulated line wired from these; `runs`: runs recorded for crash recovery.

Import the modules themselves: this package imports nothing, so that a module pays only for
what it uses (the scenes render and decode real pixels).
"""
