"""The imperative shell of mentormeet: HTTP, WebSocket, storage and delivery."""
