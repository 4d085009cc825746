#!/usr/bin/env python3
"""A certflow client in Python: submits an application and follows the case.

Uses only Debian's python3-zmq and python3-protobuf. The message classes are
generated from proto/certflow.proto by protoc (protobuf-compiler) when the
script starts, so they always match the daemon's wire. proto/README.md
documents everything this script relies on.

    certflow_client.py --cert ME.cert --server-cert daemon.cert \\
        submit examples/application.json --until contract_issued

The certificate is this client's own: a secret certificate the daemon's
admin issued (certflow identity issue NAME applicant --org ORG --out ME.cert).

Exit codes as certflow's: 0 ok, 1 refused by the daemon, 2 usage error,
3 daemon unreachable, 4 the daemon refused the certificate.
"""

import argparse
import importlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import uuid

import zmq
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_DENIED = 0, 1, 2, 3, 4

#  States after which nothing more happens to a case
TERMINAL = {"rejected", "certified", "not_approved", "terminated",
            "withdrawn", "closed"}


class Refused(Exception):
    """The daemon refused the CURVE handshake: unknown or revoked key."""


def load_proto(proto_dir):
    """Generates certflow_pb2 with protoc into a temporary directory and
    imports it."""
    out = tempfile.mkdtemp(prefix="certflow-pb-")
    subprocess.run(["protoc", "--python_out=" + out, "-I" + proto_dir,
                    os.path.join(proto_dir, "certflow.proto")], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("certflow_pb2")


def read_cert(path):
    """Reads a czmq certificate file (ZPL): returns (public, secret) Z85
    keys as bytes; secret is None in a public certificate."""
    keys = {}
    with open(path, encoding="utf-8") as text:
        for line in text:
            found = re.match(r'\s+(public|secret)-key\s*=\s*"(.{40})"', line)
            if found:
                keys[found.group(1)] = found.group(2).encode("ascii")
    if "public" not in keys:
        raise ValueError(path + " holds no CURVE public key")
    return keys["public"], keys.get("secret")


def state_name(pb, value):
    """STATE_CONTRACT_PENDING -> contract_pending, as certflow names it."""
    return pb.State.Name(value)[len("STATE_"):].lower()


class Client:
    """Requests with the Lazy Pirate pattern: a request that gets no reply
    within the timeout is sent again, with the same id, on a new socket;
    the daemon answers a repeated id with the stored reply."""

    def __init__(self, pb, endpoint, cert, server_cert, timeout_ms, tries):
        self.pb = pb
        self.endpoint = endpoint
        self.public, self.secret = read_cert(cert)
        if self.secret is None:
            raise ValueError(cert + " is a public certificate; give the "
                             "secret one the admin issued")
        self.server_public, _ = read_cert(server_cert)
        self.timeout_ms = timeout_ms
        self.tries = tries
        self.context = zmq.Context.instance()
        self.socket = None
        self.monitor = None

    def curve(self, socket):
        socket.curve_secretkey = self.secret
        socket.curve_publickey = self.public
        socket.curve_serverkey = self.server_public

    def connect(self):
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.linger = 0
        self.curve(self.socket)
        #  A refused handshake shows only here: the daemon sends nothing
        self.monitor = self.socket.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        self.socket.connect(self.endpoint)

    def close(self):
        if self.socket is not None:
            self.socket.disable_monitor()
            self.monitor.close()
            self.socket.close()
        self.socket = self.monitor = None

    def request(self, **body):
        """Sends a Request with body (one field of its oneof) and returns
        the Reply, whatever its status. Raises TimeoutError or Refused."""
        request = self.pb.Request(id=str(uuid.uuid4()), **body)
        data = request.SerializeToString()
        for _ in range(self.tries):
            if self.socket is None:
                self.connect()
            self.socket.send(data)
            poller = zmq.Poller()
            poller.register(self.socket, zmq.POLLIN)
            poller.register(self.monitor, zmq.POLLIN)
            deadline = self.timeout_ms
            while deadline > 0:
                ready = dict(poller.poll(deadline))
                deadline = 0
                if self.monitor in ready:
                    frames = self.monitor.recv_multipart()
                    event, status = struct.unpack("=HI", frames[0][:6])
                    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                        raise Refused("the daemon refused this certificate "
                                      "(revoked or not issued; ZAP status "
                                      "%d)" % status)
                if self.socket in ready:
                    reply = self.pb.Reply()
                    reply.ParseFromString(self.socket.recv())
                    if reply.id == request.id:
                        return reply
                    deadline = self.timeout_ms  # a late reply to another id
            self.close()
        raise TimeoutError("no reply from %s after %d tries"
                           % (self.endpoint, self.tries))

    def ok(self, **body):
        reply = self.request(**body)
        if reply.status != self.pb.STATUS_OK:
            raise PermissionError("%s: %s" % (reply.error or
                                  self.pb.Status.Name(reply.status),
                                  reply.message))
        return reply


class Feed:
    """Every committed event this principal may see, in sequence, without
    gaps. The feed is a doorbell: it says how far the log has grown ("seq"
    after a commit, "hb" when idle) and the events are read with `events
    since` through the client API, which shows each principal its own."""

    def __init__(self, pb, client, endpoint, after):
        self.pb = pb
        self.client = client
        self.seen = after
        self.socket = client.context.socket(zmq.SUB)
        self.socket.linger = 0
        client.curve(self.socket)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"seq")
        self.socket.setsockopt(zmq.SUBSCRIBE, b"hb")
        self.socket.connect(endpoint)

    def catch_up(self, upto):
        while self.seen < upto:
            before = self.seen
            since = self.pb.EventsSince(after=self.seen, limit=100)
            events = self.client.ok(events=since).events
            for event in events.events:
                if event.seq > self.seen:
                    self.seen = event.seq
                    yield event
            if not events.more:
                #  Nothing more to read (an applicant reads its own
                #  organization's events only): the gap is filled
                self.seen = max(self.seen, upto)
                return
            #  The daemon looked this far for events we may see
            self.seen = max(self.seen, min(events.scanned, upto))
            if self.seen == before:
                return

    def events(self, timeout_ms):
        """Yields events in seq order until timeout_ms passes with no
        message at all (heartbeats come every second)."""
        yield from self.catch_up(self.client.ok(ping=True).seq)
        while self.socket.poll(timeout_ms):
            topic, body = self.socket.recv_multipart()
            message = self.pb.FeedMessage()
            message.ParseFromString(body)
            kind = message.WhichOneof("body")
            if kind in ("heartbeat", "committed"):
                yield from self.catch_up(getattr(message, kind))


def main(argv):
    parser = argparse.ArgumentParser(
        description="submit an application to certflowd and follow the case")
    parser.add_argument("--client-endpoint",
                        default=os.environ.get("CERTFLOW_CLIENT_ENDPOINT",
                                               "tcp://127.0.0.1:5580"))
    parser.add_argument("--feed-endpoint",
                        default=os.environ.get("CERTFLOW_FEED_ENDPOINT",
                                               "tcp://127.0.0.1:5582"))
    parser.add_argument("--cert", default=os.environ.get("CERTFLOW_CERT"),
                        help="this client's secret certificate")
    parser.add_argument("--server-cert",
                        default=os.environ.get("CERTFLOW_SERVER_CERT"),
                        help="the daemon's public certificate")
    parser.add_argument("--timeout", type=int, default=3000,
                        help="ms per try of a request")
    parser.add_argument("--proto", default=PROTO_DIR,
                        help="directory of certflow.proto")
    commands = parser.add_subparsers(dest="command", required=True)
    submit = commands.add_parser("submit", help="submit and follow")
    submit.add_argument("application", help="application JSON file")
    submit.add_argument("--until", default="certified",
                        help="stop once the case reaches this state or "
                             "fires this event (e.g. contract_issued)")
    submit.add_argument("--wait", type=int, default=60,
                        help="seconds to follow the case at most")
    args = parser.parse_args(argv)
    if not args.cert or not args.server_cert:
        parser.error("give --cert and --server-cert (or CERTFLOW_CERT and "
                     "CERTFLOW_SERVER_CERT)")

    pb = load_proto(args.proto)
    try:
        with open(args.application, encoding="utf-8") as text:
            application = json_format.Parse(text.read(), pb.Application())
        client = Client(pb, args.client_endpoint, args.cert, args.server_cert,
                        args.timeout, 3)
    except (OSError, ValueError, json_format.ParseError) as error:
        print("certflow_client: %s" % error, file=sys.stderr)
        return EXIT_USAGE
    try:
        #  Subscribe first, from the latest seq, so no event of the case
        #  can fall between the submit and the first message heard
        start = client.ok(ping=True).seq
        feed = Feed(pb, client, args.feed_endpoint, start)
        reply = client.ok(submit=pb.SubmitRequest(application=application))
        case_id = reply.record.id
        print("submitted %s: %s" % (case_id,
                                    state_name(pb, reply.record.state)))
        state = state_name(pb, reply.record.state)
        deadline_ms = args.wait * 1000
        reached = False
        for event in feed.events(deadline_ms):
            if event.case_id != case_id:
                continue
            state = state_name(pb, getattr(event, "to"))
            print("%6d  %-18s %s -> %s  by %s%s" % (
                event.seq, event.event,
                state_name(pb, getattr(event, "from")), state,
                event.principal.name,
                "  [refused: %s]" % event.refused if event.refused else ""))
            if args.until in (state, event.event) or state in TERMINAL:
                reached = args.until in (state, event.event)
                break
        record = client.ok(status=pb.CaseRef(case_id=case_id)).record
        print("case %s is %s" % (case_id, state_name(pb, record.state)))
        if record.contract.number:
            print("contract %s, fee %.2f yuan" % (record.contract.number,
                                                  record.contract.fee_fen / 100))
        return EXIT_OK if reached else EXIT_REFUSED
    except Refused as error:
        print("certflow_client: %s" % error, file=sys.stderr)
        return EXIT_DENIED
    except TimeoutError as error:
        print("certflow_client: %s: is certflowd running?" % error,
              file=sys.stderr)
        return EXIT_UNREACHABLE
    except PermissionError as error:
        print("certflow_client: refused: %s" % error, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
