"""Delivery operations: zones and quotes (:mod:`.zones`), couriers (:mod:`.couriers`)."""
