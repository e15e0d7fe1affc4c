"""Times Presidio's AnalyzerEngine + AnonymizerEngine on the texts scripts/bench-masking.ts hands it.

Presidio normally loads a spaCy language model (en_core_web_lg) for NER; the benchmark uses a blank
English spaCy pipeline saved to a temporary directory (tokenizer only, nothing to download) and only
the pattern recognizers for the entity types regate detects: credit card, email, US SSN, IBAN,
phone and IP address. That is the cheapest Presidio configuration for these types (NER would only
add time), so the ratio favours Presidio.

Usage: python presidio_bench.py cases.json  ->  JSON list of {name, us, entities, runs} on stdout.
"""
import os

# Presidio's email recognizer validates domains with tldextract, which would download the public
# suffix list on first use; use its bundled snapshot (no network here, and none in the timing).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import json  # noqa: E402
import statistics
import sys
import tempfile
import time

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

ENTITIES = ["CREDIT_CARD", "EMAIL_ADDRESS", "US_SSN", "IBAN_CODE", "PHONE_NUMBER", "IP_ADDRESS"]


def engines():
    model_dir = tempfile.mkdtemp(prefix="presidio-blank-en-")
    spacy.blank("en").to_disk(model_dir)
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model_dir}])
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (CreditCardRecognizer(), EmailRecognizer(), UsSsnRecognizer(), IbanRecognizer(), PhoneRecognizer(), IpRecognizer()):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
    return analyzer, AnonymizerEngine()


def main():
    cases = json.load(open(sys.argv[1]))
    analyzer, anonymizer = engines()
    operators = {"DEFAULT": OperatorConfig("replace", {"new_value": "[REDACTED]"})}
    out = []
    for case in cases:
        text = case["text"]

        def once():
            results = analyzer.analyze(text=text, language="en", entities=ENTITIES)
            anonymized = anonymizer.anonymize(text=text, analyzer_results=results, operators=operators)
            # The work was done: every finding was replaced.
            if anonymized.text.count("[REDACTED]") != len(anonymized.items):
                raise SystemExit(f"{case['name']}: anonymizer output does not match its findings")
            return len(anonymized.items)

        entities = once()  # warm-up, and the count reported
        samples = []
        deadline = time.perf_counter() + case["seconds"]
        while time.perf_counter() < deadline or len(samples) < 3:
            t0 = time.perf_counter()
            once()
            samples.append((time.perf_counter() - t0) * 1e6)
            if len(samples) >= 10000:
                break
        out.append({"name": case["name"], "us": statistics.median(samples), "entities": entities, "runs": len(samples)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
