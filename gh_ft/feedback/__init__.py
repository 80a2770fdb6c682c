"""Feedback from the Grasshopper plugin: the file contract (contract.py) and lossless
ingestion into the dataset's own feedback.jsonl (ingest.py)."""
from .contract import FILE_PATTERN, FeedbackIncomplete, FeedbackInvalid, FeedbackRecord, parse_feedback
from .ingest import (BACKUP_FILE, FEEDBACK_FILE, PROCESSED_DIR, QUARANTINE_DIR, IngestError, IngestReport, LockBusy,
                     count_feedback, ingest_feedback)

__all__ = ["BACKUP_FILE", "FEEDBACK_FILE", "FILE_PATTERN", "PROCESSED_DIR", "QUARANTINE_DIR", "FeedbackIncomplete",
           "FeedbackInvalid", "FeedbackRecord", "IngestError", "IngestReport", "LockBusy", "count_feedback",
           "ingest_feedback", "parse_feedback"]
