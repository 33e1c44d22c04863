"""Benchmark of PAdES B-B signing: the SDK through the mock provider next to pyHanko alone with an in-memory key.

What it does, on this machine and over 127.0.0.1 only, for P-256 and for RSA-3072 subscriber keys in one run:

1. pyHanko alone: a key and a self-signed certificate of the algorithm made with ``cryptography``, a
   ``SimpleSigner`` on them, and ``signers.sign_pdf`` on a one-page PDF at PAdES B-B (no time-stamp, no
   validation data). Timed per document (median of ``--runs``) and for a batch of ``--batch`` documents signed
   one after the other (total, and per document; median of ``--batch-runs``).
2. The SDK: ``jesign-mock serve`` started with ``JESIGN_MOCK_KEY_ALGORITHM`` set to the algorithm, on a free port
   and a temporary data folder, and people registered through ``client.registration.enroll`` (the review is
   immediate). Then ``client.signing.sign_pdf(pdf, otp_source=MockOutboxOtpSource(...), level="B-B")``, timed
   per document (median of ``--runs``): credentials/list and /info, sendOTP, reading the code from the mock's
   outbox, authorize, signHash, pyHanko's digest and finishing, all included. And ``sign_pdfs`` on a batch of
   ``--batch`` documents under one code (total, and per document).

3. The provider-neutral path: ``CscProvider`` on the mock's ``/trust/csc/v2`` with the same person's access token
   and credential (no jesign client in the way), single signatures timed in turn with ``client.signing``'s; the
   target is no slower (within 5 %: two series of one run differ by that much on a shared machine).

The sides are timed in turn (a pyHanko signature, an SDK signature, and so on; then a pyHanko batch, an SDK
batch), so that both see the machine in the same state: on a small shared machine pyHanko's own time per
document moves by tens of percent from one series to the next.

The mock sends a person at most 30 signing codes per credential in an hour: the bench registers as many
people as the runs need (a seed file of its own, next to the default one) and moves to the next person after 10.

How to read it:

- ``ms/doc`` is wall-clock milliseconds per signed document in this process (the mock runs in another one);
  ``SDK/pyHanko`` is the SDK's figure over pyHanko's, for the same key algorithm and mode.
- Targets: the SDK's single signature within 1.3x pyHanko's, its batch within 1.1x pyHanko's per document, and
  the SDK's RSA-3072 single signature within 1.5x its P-256 one.
- Big files (``--sizes``, 1, 5 and 10 MB by default): a PDF of that size (pages of incompressible pictures, as a
  scanned document) signed at B-B by pyHanko alone and by the SDK in turn, median of ``--size-runs``; the target is
  the SDK within 1.3x pyHanko alone at every size (the work that grows with the size, reading, copying the document
  and hashing its byte range, is the same on both sides: only the round trips should differ).
- pyHanko alone pays for the key operation in-process (and ``SimpleSigner`` re-validates an RSA key on every
  signature); the SDK pays HTTP round trips and the mock's work per request (each one also written to its
  request history in SQLite), and the mock signs with its own copy of the key.
- ``server ms`` below the table is the mock's own time per call (from its request history, whole milliseconds)
  during the timed single signatures: what is left of the SDK's time is the client's (pyHanko, HTTP, JSON).
- Everything shares the machine's CPUs: compare rows of one run, not runs across machines.

Run it from the repository's root as ``.venv/bin/python bench/signing_bench.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import yaml
from _common import (
    LOOPBACK,
    BenchError,
    exit_on_sigterm,
    find_mock,
    free_port,
    healthy,
    running,
    wait_until_ready,
)
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.version import __version__ as pyhanko_version
from pyhanko_certvalidator.registry import SimpleCertificateStore

from jesign_sdk import Applicant, Client, DocumentSide, IdentityDocument, MockOutboxOtpSource
from jesign_sdk.signing import CscProvider
from mock_provider.config import load_config
from mock_provider.core.accounts import default_seed_text
from mock_provider.core.documents import icao_name, mrz_check_digit
from mock_provider.core.services import build_services

ALGORITHMS = ("ec-p256", "rsa-3072")
LABELS = {"ec-p256": "P-256", "rsa-3072": "RSA-3072"}
#: Codes the mock sends one person for one credential, whatever happens to them (mock_provider.core.otp).
CODES_PER_PERSON = 30
#: Signatures one authorization may cover in the mock (its credentials' multisign).
MAX_BATCH = 100
TARGET_SINGLE = 1.3
TARGET_BATCH = 1.1
TARGET_RSA_OVER_EC = 1.5
#: The provider-neutral path (CscProvider on the mock's CSC v2 with the person's token) against client.signing,
#: timed in turn: no slower, within what two series of one run differ by on a shared machine (5 %).
TARGET_NEUTRAL = 1.05
BENCH_FIRM = "frm_ecma"


@dataclass
class Figures:
    """The timings of one key algorithm, in seconds."""

    batch_size: int
    single: list[float] = field(default_factory=list)
    batch: list[float] = field(default_factory=list)  # seconds for the whole batch, per batch run

    @property
    def single_ms(self) -> float:
        return statistics.median(self.single) * 1000

    @property
    def batch_total(self) -> float:
        return statistics.median(self.batch)

    @property
    def batch_ms_per_doc(self) -> float:
        return self.batch_total * 1000 / self.batch_size


@dataclass
class SizeFigures:
    """Single signatures of one big document, in seconds."""

    size: int  # bytes
    pyhanko: list[float] = field(default_factory=list)
    sdk: list[float] = field(default_factory=list)

    @property
    def pyhanko_ms(self) -> float:
        return statistics.median(self.pyhanko) * 1000

    @property
    def sdk_ms(self) -> float:
        return statistics.median(self.sdk) * 1000


@dataclass
class AlgorithmResult:
    algorithm: str
    pyhanko: Figures
    sdk: Figures
    neutral: list[float]  # CscProvider's single signatures, seconds
    server_ms: dict[str, tuple[int, float]]  # CSC call -> (calls per signature, median server ms)
    sizes: list[SizeFigures] = field(default_factory=list)


# -- processes (as in pki_bench) ---------------------------------------------------------------------------------


@contextlib.contextmanager
def mock_server(mock: Path, data_dir: Path, port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """``jesign-mock serve`` on ``data_dir`` and ``port``, ready once ``/healthz`` answers; always stopped."""
    command = [str(mock), "serve", "--data-dir", str(data_dir), "--host", LOOPBACK, "--port", str(port)]
    with running(command, log=log, env=env) as process:
        wait_until_ready(process, lambda: healthy(port), log)
        yield f"http://{LOOPBACK}:{port}"


# -- inputs ------------------------------------------------------------------------------------------------------


def one_page_pdf(text: str = "Lettre de mission") -> bytes:
    """A one-page PDF made with pyHanko's writer (as tests/mock_provider/pdf_helpers.py)."""
    writer = PdfFileWriter()
    content = generic.StreamObject(stream_data=f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): writer.add_object(font)})}
    )
    writer.insert_page(PageObject(writer.add_object(content), (0, 0, 595, 842), resources))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sized_pdf(size: int) -> bytes:
    """A PDF of about ``size`` bytes: pages each showing a picture of random (incompressible) bytes, as a scan."""
    writer = PdfFileWriter()
    picture_bytes = 512 * 1024
    side = int(math.sqrt(picture_bytes))
    rng = random.Random(size)  # noqa: S311 (the same pictures for the same size, run after run; not a secret)
    for _ in range(max(1, round(size / picture_bytes))):
        picture = generic.StreamObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
                generic.pdf_name("/Width"): generic.NumberObject(side),
                generic.pdf_name("/Height"): generic.NumberObject(side),
                generic.pdf_name("/ColorSpace"): generic.pdf_name("/DeviceGray"),
                generic.pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            },
            stream_data=rng.randbytes(side * side),
        )
        resources = generic.DictionaryObject(
            {
                generic.pdf_name("/XObject"): generic.DictionaryObject(
                    {generic.pdf_name("/Im0"): writer.add_object(picture)}
                )
            }
        )
        content = generic.StreamObject(stream_data=b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        writer.insert_page(PageObject(writer.add_object(content), (0, 0, 595, 842), resources))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def colour_jpeg(size: tuple[int, int] = (320, 200)) -> bytes:
    """A colour picture of a card (the mock refuses grey ones)."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(int(255 * x / width), 90, int(255 * (1 - y / height))) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def td1(number: str, *, surname: str, given: str, birth: date, expiry: date) -> str:
    """An ICAO 9303 TD1 MRZ of a French identity card (as tests/mock_provider/registration_helpers.py)."""
    number = number.ljust(9, "<")[:9]
    line1 = f"IDFRA{number}{mrz_check_digit(number)}".ljust(30, "<")
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    head = f"{b}{mrz_check_digit(b)}F{e}{mrz_check_digit(e)}FRA".ljust(29, "<")
    composite = mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    line3 = f"{icao_name(surname)}<<{icao_name(given)}".ljust(30, "<")[:30]
    return "\n".join((line1, head + composite, line3))


@dataclass(frozen=True)
class Person:
    login: str
    given_name: str
    family_name: str
    phone_number: str  # E.164
    document_number: str


def bench_people(count: int) -> list[Person]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [
        Person(
            login=f"bench.signer{i}",
            given_name="Banc",
            family_name=f"Signataire {letters[i // 26 % 26]}{letters[i % 26]}",
            phone_number=f"+336100{i:05d}",
            document_number=f"BNCH{i:05d}",
        )
        for i in range(count)
    ]


def prepare_data_dir(data_dir: Path, port: int, algorithm: str, seed: Path) -> None:
    """Create the mock's storage in-process with the bench's seed (applied only to an empty directory).

    ``jesign-mock serve`` cannot take a ``seed_file`` itself: it hands its configuration to its workers as JSON,
    which a path other than ``data_dir`` breaks (``PosixPath is not JSON serializable``).
    """
    config = load_config(
        {"data_dir": str(data_dir), "host": LOOPBACK, "port": port, "key_algorithm": algorithm, "seed_file": seed}
    )
    build_services(config).close()


def write_seed(people: Sequence[Person], path: Path) -> Path:
    """The default seed, plus the bench's people (accountants of Cabinet Ecma with a mobile number)."""
    seed = yaml.safe_load(default_seed_text())
    for person in people:
        seed["users"].append(
            {
                "id": f"usr_{person.login.replace('.', '_')}",
                "login": person.login,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": f"{person.login}@cabinet-ecma.example.com",
                "phone_number": person.phone_number,
                "identity_source": "comptexpert",
                "firms": [{"firm": BENCH_FIRM, "role": "expert-comptable"}],
            }
        )
    path.write_text(yaml.safe_dump(seed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -- pyHanko alone -----------------------------------------------------------------------------------------------


def in_memory_signer(algorithm: str) -> signers.SimpleSigner:
    """A ``SimpleSigner`` on a fresh key of ``algorithm`` and a self-signed certificate."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    key = ec.generate_private_key(ec.SECP256R1()) if algorithm == "ec-p256" else rsa.generate_private_key(65537, 3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Bench {LABELS[algorithm]}")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    asn1_certificate = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return signers.SimpleSigner(
        signing_cert=asn1_certificate,
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate]),
    )


def pyhanko_sign(pdf: bytes, signer: signers.SimpleSigner) -> bytes:
    output = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Sig", subfilter=SigSeedSubFilter.PADES),
        signer=signer,
    )
    return bytes(output.getvalue())


# -- the SDK through the mock ------------------------------------------------------------------------------------


class SignerPool:
    """Registered people, each good for ``CODES_PER_PERSON`` signing codes; hands out the next one with codes left."""

    def __init__(self, base_url: str, people: Sequence[Person]) -> None:
        self._entries: list[list[Any]] = []  # [client, otp source, codes left]
        self._neutral: dict[int, CscProvider] = {}
        for person in people:
            client = Client(base_url)
            client.login_with_hint(person.login)
            otp = MockOutboxOtpSource(client.requestor, person.phone_number)
            document = IdentityDocument(
                "id_card:fra",
                DocumentSide(colour_jpeg(), "recto.jpg"),
                DocumentSide(colour_jpeg(), "verso.jpg"),
                mrz=td1(
                    person.document_number,
                    surname=person.family_name,
                    given=person.given_name,
                    birth=date(1980, 4, 12),
                    expiry=date.today() + timedelta(days=5 * 365),
                ),
            )
            applicant = Applicant(mobile_number=person.phone_number, birth_date=date(1980, 4, 12), document=document)
            client.registration.enroll(applicant, otp, poll_interval=0.1, review_timeout=60)
            self._entries.append([client, otp, CODES_PER_PERSON])

    def take(self) -> tuple[Client, MockOutboxOtpSource]:
        for entry in self._entries:
            if entry[2] > 0:
                entry[2] -= 1
                return entry[0], entry[1]
        raise BenchError("no registered person has a signing code left")

    def neutral(self, client: Client) -> CscProvider:
        """The same person's credential through the provider-neutral path: CscProvider on the mock's CSC v2 with
        the person's access token (made once per person, its ``info`` read then, outside the timings)."""
        if id(client) not in self._neutral:
            self._neutral[id(client)] = CscProvider(
                client.requestor.endpoints.url("csc", ""),  # type: ignore[union-attr]
                token=lambda: client.tokens.access_token,  # type: ignore[union-attr]
                credential_id=client.signing.credential().id,
            )
        return self._neutral[id(client)]


def measure(
    algorithm: str, pool: SignerPool, pdf: bytes, args: argparse.Namespace
) -> tuple[Figures, Figures, list[float]]:
    """pyHanko alone, the SDK and its provider-neutral path, one after the other run by run, so that all see the
    machine in the same state."""
    local = in_memory_signer(algorithm)
    pyhanko_sign(pdf, local)  # warm-ups
    client, otp = pool.take()
    client.signing.sign_pdf(pdf, otp_source=otp, level="B-B")
    client, otp = pool.take()
    pool.neutral(client).sign_pdf(pdf, otp_source=otp, level="B-B")
    theirs, ours, neutral = Figures(batch_size=args.batch), Figures(batch_size=args.batch), []
    for _ in range(args.runs):
        start = time.perf_counter()
        pyhanko_sign(pdf, local)
        theirs.single.append(time.perf_counter() - start)
        client, otp = pool.take()
        start = time.perf_counter()
        client.signing.sign_pdf(pdf, otp_source=otp, level="B-B")
        ours.single.append(time.perf_counter() - start)
        client, otp = pool.take()
        provider = pool.neutral(client)
        start = time.perf_counter()
        provider.sign_pdf(pdf, otp_source=otp, level="B-B")
        neutral.append(time.perf_counter() - start)
    documents = [pdf] * args.batch
    for _ in range(args.batch_runs):
        start = time.perf_counter()
        for document in documents:
            pyhanko_sign(document, local)
        theirs.batch.append(time.perf_counter() - start)
        client, otp = pool.take()
        start = time.perf_counter()
        signed = client.signing.sign_pdfs(documents, otp_source=otp, level="B-B")
        ours.batch.append(time.perf_counter() - start)
        if len(signed) != args.batch:
            raise BenchError(f"sign_pdfs gave {len(signed)} documents for {args.batch}")
    return theirs, ours, neutral


def measure_sizes(algorithm: str, pool: SignerPool, sizes: Sequence[int], runs: int) -> list[SizeFigures]:
    """Single B-B signatures of documents of these sizes, pyHanko alone and the SDK in turn (after a warm-up each)."""
    local = in_memory_signer(algorithm)
    results = []
    for size in sizes:
        pdf = sized_pdf(size)
        figures = SizeFigures(len(pdf))
        for number in range(runs + 1):
            start = time.perf_counter()
            pyhanko_sign(pdf, local)
            theirs = time.perf_counter() - start
            client, otp = pool.take()
            start = time.perf_counter()
            client.signing.sign_pdf(pdf, otp_source=otp, level="B-B")
            ours = time.perf_counter() - start
            if number:  # the first run of each size warms up
                figures.pyhanko.append(theirs)
                figures.sdk.append(ours)
        results.append(figures)
    return results


def server_times(base_url: str, runs: int, batch_runs: int) -> dict[str, tuple[int, float]]:
    """Per CSC call of the timed single signatures: calls per signature and the mock's median milliseconds.

    The history's newest entries are the batches' calls (3 each: sendOTP, authorize, signHash; the credential is
    looked up once per person), then the single signatures' of the SDK and of its provider-neutral path in turn
    (3 each too; the outbox is not recorded). Signatures are counted by their signHash calls.
    """
    history = requests.get(f"{base_url}/_mock/requests", params={"limit": 1000}, timeout=10).json()["data"]
    calls = [r for r in history if "/trust/csc/v2/" in r["path"]]
    singles = calls[3 * batch_runs : 3 * batch_runs + 2 * 3 * runs]
    per_call: dict[str, list[int]] = defaultdict(list)
    for record in singles:
        per_call[record["path"].split("/trust/csc/v2/")[1]].append(record["duration_ms"])
    count = len(per_call.get("signatures/signHash", ())) or 1
    return {name: (round(len(values) / count), statistics.median(values)) for name, values in per_call.items()}


# -- report ------------------------------------------------------------------------------------------------------


def print_table(results: Sequence[AlgorithmResult], batch: int) -> None:
    print(f"{'key':<9} {'mode':<12} {'pyHanko ms/doc':>15} {'SDK ms/doc':>11} {'SDK/pyHanko':>12}")
    for result in results:
        key = LABELS[result.algorithm]
        rows = [
            ("single", result.pyhanko.single_ms, result.sdk.single_ms),
            (f"batch {batch}", result.pyhanko.batch_ms_per_doc, result.sdk.batch_ms_per_doc),
        ]
        for mode, ours, theirs in rows:
            print(f"{key:<9} {mode:<12} {ours:>15.2f} {theirs:>11.2f} {theirs / ours:>11.2f}x")
        neutral_ms = statistics.median(result.neutral) * 1000
        print(
            f"{key:<9} {'neutral':<12} {result.pyhanko.single_ms:>15.2f} {neutral_ms:>11.2f} "
            f"{neutral_ms / result.pyhanko.single_ms:>11.2f}x   (CscProvider on /trust/csc/v2, single)"
        )
    print()
    print(f"{'key':<9} {'batch of':>8} {'pyHanko total s':>16} {'SDK total s':>12}   (median of the batch runs)")
    for result in results:
        print(
            f"{LABELS[result.algorithm]:<9} {batch:>8} {result.pyhanko.batch_total:>16.3f} "
            f"{result.sdk.batch_total:>12.3f}"
        )


def print_sizes(results: Sequence[AlgorithmResult], runs: int) -> None:
    print(f"Big documents: one B-B signature each (median of {runs} runs after a warm-up)")
    print(f"{'key':<9} {'MB':>6} {'pyHanko ms':>11} {'SDK ms':>9} {'SDK/pyHanko':>12}")
    for result in results:
        for figures in result.sizes:
            print(
                f"{LABELS[result.algorithm]:<9} {figures.size / 1e6:>6.2f} {figures.pyhanko_ms:>11.1f} "
                f"{figures.sdk_ms:>9.1f} {figures.sdk_ms / figures.pyhanko_ms:>11.2f}x"
            )


def print_server_times(results: Sequence[AlgorithmResult]) -> None:
    print("Mock's time per CSC call during the single signatures (median server ms, from its request history)")
    print(f"{'key':<9} {'call':<26} {'per sig':>7} {'server ms':>10}")
    for result in results:
        total = 0.0
        for name, (count, median_ms) in result.server_ms.items():
            total += count * median_ms
            print(f"{LABELS[result.algorithm]:<9} {name:<26} {count:>7} {median_ms:>10.1f}")
        print(
            f"{LABELS[result.algorithm]:<9} {'(sum)':<26} {'':>7} {total:>10.1f}"
            f"   (SDK single {result.sdk.single_ms:.1f} ms)"
        )


def print_targets(results: Sequence[AlgorithmResult]) -> bool:
    checks: list[tuple[str, float, float]] = []
    for result in results:
        key = LABELS[result.algorithm]
        checks.append(
            (
                f"{key} SDK single <= {TARGET_SINGLE}x pyHanko single",
                result.sdk.single_ms / result.pyhanko.single_ms,
                TARGET_SINGLE,
            )
        )
        checks.append(
            (
                f"{key} SDK batch/doc <= {TARGET_BATCH}x pyHanko batch/doc",
                result.sdk.batch_ms_per_doc / result.pyhanko.batch_ms_per_doc,
                TARGET_BATCH,
            )
        )
        for figures in result.sizes:
            checks.append(
                (
                    f"{key} SDK {figures.size / 1e6:.0f} MB <= {TARGET_SINGLE}x pyHanko",
                    figures.sdk_ms / figures.pyhanko_ms,
                    TARGET_SINGLE,
                )
            )
        neutral_ms = statistics.median(result.neutral) * 1000
        checks.append(
            (
                f"{key} CscProvider single <= {TARGET_NEUTRAL}x client.signing",
                neutral_ms / result.sdk.single_ms,
                TARGET_NEUTRAL,
            )
        )
    by_algorithm = {r.algorithm: r for r in results}
    if "ec-p256" in by_algorithm and "rsa-3072" in by_algorithm:
        ratio = by_algorithm["rsa-3072"].sdk.single_ms / by_algorithm["ec-p256"].sdk.single_ms
        checks.append((f"SDK RSA-3072 single <= {TARGET_RSA_OVER_EC}x SDK P-256 single", ratio, TARGET_RSA_OVER_EC))
    print("Targets")
    for label, ratio, target in checks:
        print(f"  {label:<52} {ratio:>7.2f}x  {'met' if ratio <= target else 'MISSED'}")
    met = all(ratio <= target for _, ratio, target in checks)
    print(f"  all targets: {'met' if met else 'NOT met'}")
    return met


# -- main --------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="PAdES B-B signing: the SDK through the mock next to pyHanko alone.")
    parser.add_argument(
        "--runs", type=int, default=30, help="single signatures timed per side and key, up to 150 (default 30)"
    )
    parser.add_argument(
        "--batch", type=int, default=100, help=f"documents in the batch, 1 to {MAX_BATCH} (default 100)"
    )
    parser.add_argument(
        "--batch-runs", type=int, default=1, help="batches timed per side and key, up to 20 (default 1)"
    )
    parser.add_argument("--skip-rsa", action="store_true", help="P-256 only")
    parser.add_argument(
        "--sizes",
        type=lambda text: [float(mb) for mb in text.split(",") if mb],
        default=[1.0, 5.0, 10.0],
        help="sizes in MB of the big documents, comma-separated, at most 10 each; empty for none (default 1,5,10)",
    )
    parser.add_argument(
        "--size-runs", type=int, default=5, help="signatures timed per side, key and size, up to 20 (default 5)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 150:
        parser.error("--runs is 1 to 150")  # the mock's request history, read back, holds 1000 entries
    if not 1 <= args.batch_runs <= 20:
        parser.error("--batch-runs is 1 to 20")
    if not 1 <= args.size_runs <= 20:
        parser.error("--size-runs is 1 to 20")
    if any(not 0 < mb <= 10 for mb in args.sizes):
        parser.error("--sizes are above 0 and at most 10 (MB: the SDK signs up to 10 MiB)")
    if not 1 <= args.batch <= MAX_BATCH:
        parser.error(f"--batch is 1 to {MAX_BATCH} (the mock's multisign)")
    return args


def run(args: argparse.Namespace, folder: Path, progress: Callable[[str], None]) -> bool:
    mock = find_mock()
    algorithms = ALGORITHMS[:1] if args.skip_rsa else ALGORITHMS
    pdf = one_page_pdf()
    sizes = [int(mb * 1000 * 1000) for mb in args.sizes]
    # warm-up, single runs, batch runs, then a warm-up and the runs of each size
    codes = 2 + 2 * args.runs + args.batch_runs + len(sizes) * (1 + args.size_runs)
    people = bench_people(math.ceil(codes / CODES_PER_PERSON))
    seed = write_seed(people, folder / "seed.yaml")

    results = []
    for algorithm in algorithms:
        env = dict(os.environ, JESIGN_MOCK_KEY_ALGORITHM=algorithm)
        data_dir, port = folder / f"data-{algorithm}", free_port()
        prepare_data_dir(data_dir, port, algorithm, seed)
        with mock_server(mock, data_dir, port, env, folder / f"mock-{algorithm}.log") as base_url:
            progress(
                f"{LABELS[algorithm]}: registering {len(people)} people, then {args.runs} single signatures and "
                f"{args.batch_runs} batch(es) of {args.batch}, pyHanko alone and SDK in turn..."
            )
            pool = SignerPool(base_url, people)
            theirs, ours, neutral = measure(algorithm, pool, pdf, args)
            server = server_times(base_url, args.runs, args.batch_runs)
            if sizes:
                progress(f"{LABELS[algorithm]}: documents of {', '.join(map(str, args.sizes))} MB...")
            by_size = measure_sizes(algorithm, pool, sizes, args.size_runs)
        results.append(AlgorithmResult(algorithm, theirs, ours, neutral, server, by_size))

    print("jesign signing benchmark: PAdES B-B, SDK through the mock vs pyHanko alone")
    print(
        f"  machine:   {os.cpu_count()} CPU(s), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    print(f"  pyHanko:   {pyhanko_version}, SimpleSigner with an in-memory key, signers.sign_pdf")
    print("  SDK:       client.signing.sign_pdf / sign_pdfs, MockOutboxOtpSource, jesign-mock serve on 127.0.0.1")
    print(f"  document:  one-page PDF, {len(pdf)} bytes; single = median of {args.runs} runs")
    print(f"             batch of {args.batch} = median of {args.batch_runs} run(s); pyHanko and SDK timed in turn")
    print()
    print_table(results, args.batch)
    print()
    print_server_times(results)
    print()
    if sizes:
        print_sizes(results, args.size_runs)
        print()
    return print_targets(results)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)  # stop the mock on kill as on Ctrl+C
    try:
        with tempfile.TemporaryDirectory(prefix="jesign-signing-bench-") as folder:
            run(args, Path(folder), lambda text: print(text, file=sys.stderr, flush=True))
    except BenchError as error:
        print(f"signing_bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
