"""One home for making the mock misbehave on purpose, in three kinds (none of them touches Flask):

- **rule switches** (what one is: :mod:`.switch`; declared per rule area in ``areas/``, all listed by
  :mod:`.catalogue`; the ones that are on: :mod:`.switches`): each turns the mock into a provider that breaks one
  rule, to prove the conformance suite catches it; asked one way, ``if SWITCH in breakages:``;
- **the fault policy** (:mod:`.faults`, kept by :mod:`.fault_store`): calls delayed, failed before or after
  processing, at a rate or a set number of times (a one-shot fault is a rule with count 1);
- **scenarios** (:mod:`.scenarios`): documented magic values, and outcomes queued for the next matching call.

The control plane (``/_mock``) and its console change them; a thin hook in ``api/faults.py`` applies the faults.
"""
