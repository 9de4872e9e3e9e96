"""The demo review built from the sample exports and the example protocol."""
