// Touch input captures the pointer to the element first touched (possibly an icon inside the button), so
// pointerleave would only fire after the finger lifts. Releasing that capture makes sliding off a button
// end the action at once (a camera must not keep moving under a finger that has left the pad).
export function releaseImplicitCapture(e: PointerEvent): void {
  for (const el of [e.target, e.currentTarget]) {
    if (el instanceof Element && el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
  }
}
