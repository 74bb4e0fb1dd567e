"""Benchmarks behind ``make bench``: cold starts per function and DynamoDB calls per request.

Speed and cost are measured here and only here: tests never time anything, because a
shared 2-core CI machine makes timing assertions flaky. The numbers printed are for
people to read and compare, not thresholds.
"""
