# A stand-in for X-PLUG/WritingBench's prompt.py with the same shape (two string assignments,
# str.format fields criteria / query / response, doubled braces for the JSON example), written for
# the tests: the real prompt is read from the user's copy of the repository, never shipped here.
evaluate_system = """
You grade writing for a test.
""".strip()

evaluate_prompt = """
Grade the Response against the Criteria.
Reply with JSON only:
{{"score": 1-10, "reason": "..."}}

** Criteria **
```{criteria}```

** Query **
```{query}```

** Response **
```{response}```

Criteria again: ```{criteria}```
""".strip()
