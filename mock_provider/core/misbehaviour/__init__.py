"""One home for making the mock misbehave on purpose, in three kinds (none of them touches Flask):

- **rule switches** (:mod:`.catalogue`, declared per rule area in ``areas/``; :mod:`.switches` holds the ones that are
  on): each turns the mock into a provider that breaks one rule, to prove the conformance suite catches it;
- **the fault policy** (:mod:`.faults`, kept by :mod:`.fault_store`): calls delayed, failed before or after
  processing, at a rate or a set number of times (a one-shot fault is a rule with count 1);
- **scenarios** (:mod:`.scenarios`): documented magic values, and outcomes queued for the next matching call.

The control plane (``/_mock``) and its console change them; a thin hook in ``api/faults.py`` applies the faults.
"""
