"""The rules of callers and cases, with no database, bus or files of their own: the store keeps what they decide.

* :mod:`cti.casework.people` — a directory entry and its phone keys;
* :mod:`cti.casework.nationalid` — the national ID's checksum;
* :mod:`cti.casework.synthetic` — synthetic civil servants from a seed;
* :mod:`cti.casework.people_csv` — a real directory read from CSV;
* :mod:`cti.casework.cases` — a case's tiers, due dates and every allowed step;
* :mod:`cti.casework.privacy` — masking of phone numbers and national IDs;
* :mod:`cti.casework.access` — who may see personal data unmasked.
"""
