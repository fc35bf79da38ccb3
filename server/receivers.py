"""aiortc's video receiver, tuned for an analytics uplink of a couple of frames a second.

Two things aiortc does suit a video call, not an uplink that only feeds the analysis:

* Its ``JitterBuffer`` knows a video frame is complete only when the first packet of the
  next frame arrives, so every frame waits one frame interval before it is decoded: at
  the uplink's 2 frames a second, half a second, the very first frame included. Senders
  mark the last packet of each video frame with the RTP marker bit (RFC 7741 for VP8,
  RFC 6184 for H.264; browsers and aiortc do), so :class:`MarkerJitterBuffer` hands a
  frame on once its packets are all in, up to the marked one. A sender that never sets
  the bit gets aiortc's behaviour.
* Its remote bitrate estimator (REMB) runs a Python loop over every millisecond between
  two packets, the costliest part of receiving a slow stream, to tell the sender how much
  bandwidth it may use. The browser is told a bitrate cap that is far below any link's
  capacity, so the estimate would change nothing.

aiortc keeps both in private attributes of the receiver and has no way to pass them in;
:func:`tune_video_receiver` checks each before replacing it, so a change in aiortc
leaves its defaults in place.
"""

from __future__ import annotations

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtp import RtpPacket

__all__ = ["MarkerJitterBuffer", "tune_video_receiver"]

_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_BITRATE_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"


class MarkerJitterBuffer(JitterBuffer):
    """A video jitter buffer that hands a frame on when its marked last packet is in."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None:
                return None  # a packet is missing: wait for it (or for its retransmission)
            if packets and packet.timestamp != packets[0].timestamp:
                break  # the next frame began, so this one is complete (no marker bit seen)
            packets.append(packet)
            if packet.marker:
                break
        else:
            return None
        self.remove(len(packets))
        return JitterFrame(
            data=b"".join(p._data for p in packets),  # type: ignore[attr-defined]
            timestamp=packets[0].timestamp,
        )


def tune_video_receiver(receiver: RTCRtpReceiver) -> bool:
    """Give a video receiver a :class:`MarkerJitterBuffer` and no bitrate estimator,
    before any packet arrives.

    Returns whether it did: not for audio, not twice, nor if aiortc no longer keeps
    these where this expects them.
    """
    buffer = getattr(receiver, _JITTER_BUFFER, None)
    estimator = getattr(receiver, _BITRATE_ESTIMATOR, None)
    if type(buffer) is not JitterBuffer or not buffer._is_video:
        return False
    if not isinstance(estimator, RemoteBitrateEstimator):
        return False
    setattr(receiver, _JITTER_BUFFER, MarkerJitterBuffer(buffer.capacity, is_video=True))
    setattr(receiver, _BITRATE_ESTIMATOR, None)
    return True
