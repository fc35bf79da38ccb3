"""The uplink's video receivers: frames leave the jitter buffer when their marked last
packet is in, and no bitrate is estimated."""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from server.receivers import MarkerJitterBuffer, tune_video_receiver


def packet(sequence_number: int, timestamp: int, *, marker: bool = False) -> RtpPacket:
    rtp = RtpPacket(sequence_number=sequence_number, timestamp=timestamp, marker=int(marker))
    rtp._data = f"{sequence_number};".encode()  # what the receiver depayloaded
    return rtp


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list[tuple[int, bytes] | None]:
    """What the buffer hands on after each packet: (timestamp, data) or None."""
    out = []
    for rtp in packets:
        _, frame = buffer.add(rtp)
        out.append(None if frame is None else (frame.timestamp, frame.data))
    return out


def test_a_frame_leaves_with_its_marked_last_packet():
    frame = [packet(10, 900), packet(11, 900), packet(12, 900, marker=True)]
    assert feed(MarkerJitterBuffer(128, is_video=True), frame) == [
        None,
        None,
        (900, b"10;11;12;"),
    ]
    # aiortc's own buffer waits for the next frame's first packet.
    assert feed(JitterBuffer(128, is_video=True), frame) == [None, None, None]


def test_frames_leave_one_after_the_other_in_order():
    packets = [
        packet(100, 0, marker=True),
        packet(101, 3000),
        packet(102, 3000, marker=True),
        packet(103, 6000, marker=True),
    ]
    assert feed(MarkerJitterBuffer(128, is_video=True), packets) == [
        (0, b"100;"),
        None,
        (3000, b"101;102;"),
        (6000, b"103;"),
    ]


def test_a_frame_waits_for_a_missing_packet_however_late():
    buffer = MarkerJitterBuffer(128, is_video=True)
    early = [packet(20, 500), packet(22, 500, marker=True)]
    assert feed(buffer, early) == [None, None]
    assert feed(buffer, [packet(21, 500)]) == [(500, b"20;21;22;")]


def test_a_sender_without_marker_bits_gets_frames_when_the_next_one_starts():
    packets = [packet(1, 90), packet(2, 90), packet(3, 180), packet(4, 270)]
    assert feed(MarkerJitterBuffer(128, is_video=True), packets) == [
        None,
        None,
        (90, b"1;2;"),
        (180, b"3;"),
    ]


async def test_a_video_receiver_gets_the_marker_buffer_and_no_estimator_an_audio_one_neither():
    pc = RTCPeerConnection()
    try:
        video = pc.addTransceiver("video", direction="recvonly")
        audio = pc.addTransceiver("audio", direction="recvonly")
        assert tune_video_receiver(video.receiver)
        receiver = video.receiver
        assert isinstance(receiver._RTCRtpReceiver__jitter_buffer, MarkerJitterBuffer)
        assert receiver._RTCRtpReceiver__remote_bitrate_estimator is None
        assert not tune_video_receiver(video.receiver)  # only once
        assert not tune_video_receiver(audio.receiver)
        assert type(audio.receiver._RTCRtpReceiver__jitter_buffer) is JitterBuffer
    finally:
        await pc.close()
