"""Security defaults: Microsoft's free baseline, or Conditional Access doing its job."""
