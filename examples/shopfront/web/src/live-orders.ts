export function connectLiveOrders(onMessage: (data: unknown) => void): WebSocket {
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${protocol}//${window.location.hostname}:8000/api/orders/stream`);
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  return socket;
}
