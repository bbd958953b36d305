//! The REPL's help: `.help`, a screen of examples (each a question that
//! answers on the bundled data set, which a test checks), and
//! `.help <topic>`, the language's ideas a screen each.

pub const HELP: &str = "\
Ask a question, or write an event; one statement per line (a quote may span lines).

  china.export_quota_change for 2011 as known in oct 2010   the winner of each slot, as then known
  china.* for 2010 as of 2010-10-19                    every attribute of a subject
  *.share_of_world_reserves as known 2013              a state attribute: a timeline of runs
  history china.export_quota_change for 2011           every event of the slot, in log order
  curve china.export_quota_change for 2011             the answer as known time advances
  explain china.export_quota_change for 2011 as known nov 2010
  timeline china.share_of_world_production from 2010 to 2013 every year avg
  diff china.* between oct 2010 and 2019               what changed in what was known
  sources        source wsj-2010-10-19        subjects        attributes
  china.export_quota for 2010 as recorded at seq 162   the answer as the log stood then
  claims *.* where source = wsj-2010-10-19             the claims themselves, with their status
  claims *.* where quote contains 'bargaining'         (also modality = plan, status = denied)
  china.production for 2011 where modality = fact      a get over facts only      … limit 20
  show wsj-2010-10-19-quota-cut-2011                   one event whole, its quote in its source

  define attribute export_quota kind period unit t doc 'Annual export quota'
  source wsj-2010-10-19 published 2010-10-19 title '…' publisher '…'
  assert china.export_quota = 24280 t for 2010 source wsj-2010-10-19 quote '…'
  deny e17 known 2010-10-20 source mofcom-2010-10-20 quote '…'
  retract e17 because 'wrong source'

  .format table|json|csv|vertical   .maxrows N   .timing on|off   .tour   .quit (or Ctrl-D)
  .help periods | values | time | statuses | modality | where   more on each
Tab completes keywords, subjects, attributes, source and event ids; Ctrl-C clears the line.";

/// `.help <topic>`: the language's ideas, a screen each.
pub const HELP_TOPICS: &[(&str, &str)] = &[
    (
        "periods",
        "\
Periods: 1990s, 2010, 2010-H2, 2010-Q3, 2010-10, oct 2010, 2010-10-19, 19 oct 2010;
ranges 2010..2012 (or 2010/2012), 2010-07..2011-03, open 2006.. or ..2012. A period is
a half-open run of days; it prints as the coarsest form that names it exactly.
Vague dates (EDTF): 1992~ about, 2010? uncertain, 2011% both; 198X some year of the
1980s; 2010/ an end that exists but is not known. A claim's certainty column says
when an answer rests on them; in a question X means the whole span.",
    ),
    (
        "values",
        "\
Values: 24280 t, 1.4e9 INR, 60 CNY/t, 97 %; approximately ~40 %; bounds <=30 % and
>=80 %; ranges -30..0 %; text 'under consideration'; true, false. Values compare by
their canonical printing, so 24280 t and 24.28 kt differ.",
    ),
    (
        "time",
        "\
Three times: valid (when a fact held: for P, from A to B), known (when it became known,
the source's publication unless a claim says otherwise: as known P, as of P), recorded
(when it was written here: as recorded at seq N, as recorded at <date>). A claim known
only as 'June 2010' counts from the end of June 2010; as possibly known P counts it
from the start, marked possible.",
    ),
    (
        "statuses",
        "\
A slot's winner is the undenied claim known last; it is current, contested (another
claim known as late disagrees) or denied (every claim is). The others are agrees,
superseded (known before the winner was), conflicting or denied; claims lists
retracted ones too. explain says why, claim by claim.",
    ),
    (
        "modality",
        "\
Modality says how a source meant a claim: fact (the default), plan (announced),
forecast (expected by someone), considered (under consideration). Every answer shows
it; where modality = fact keeps facts only.",
    ),
    (
        "where",
        "\
where source = ID, modality = M, status = S, quote contains 'text', joined with and.
On a get it chooses the events resolution reads (the slot as that source alone would
have it); on claims it filters the listing. Every reading statement takes limit N.",
    ),
];
