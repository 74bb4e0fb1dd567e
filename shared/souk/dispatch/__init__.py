"""Dispatch: the delivery of one order, from the offer to a courier to the proof at the door."""
