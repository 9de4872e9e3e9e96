#!/usr/bin/env python3
"""Write synthetic database exports for the worked example of `review`.

The worked example is a systematic review of peer support for self-harm in
non-clinical settings (voluntary-sector groups, one-to-one peer mentoring,
moderated online forums; published 2000 or later).  The files imitate what a
reviewer really downloads - Ovid and EBSCO RIS, a PubMed .nbib, a Web of
Science .ciw and hand-collected grey literature - so that the importers and the
duplicate detector meet the quirks of each dialect.

Everything is invented: authors, titles, abstracts, identifiers.  DOIs use only
the reserved example prefix 10.5555, PMIDs are 8-digit numbers starting with 9
and web addresses end in .example.org.  Abstracts are short and neutral.

Output is deterministic: one seeded random.Random, no clock, fixed iteration
order, explicit line endings.  Usage:  python sample_refs/make_samples.py [DIR]
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 20220614
FILES = {  # key: (file name, source, kind, date searched, format)
    "ovid": ("ovid_medline.ris", "MEDLINE (Ovid)", "database", "2025-03-11", "RIS (Ovid)"),
    "psycinfo": ("ebsco_psycinfo.ris", "APA PsycInfo (EBSCO)", "database", "2025-03-11",
                 "RIS (EBSCO)"),
    "cinahl": ("ebsco_cinahl.ris", "CINAHL (EBSCO)", "database", "2025-03-12", "RIS (EBSCO)"),
    "pubmed": ("pubmed.nbib", "PubMed", "database", "2025-03-12", "MEDLINE/PubMed (.nbib)"),
    "wos": ("wos.ciw", "Web of Science Core Collection", "database", "2025-03-13",
            "Web of Science tagged (.ciw)"),
    "grey": ("grey_literature.ris", "Grey literature (organisation websites)", "organisation",
             "2025-03-20", "RIS"),
}
DATABASES = ["ovid", "psycinfo", "cinahl", "pubmed", "wos"]
TARGET = {"ovid": 80, "psycinfo": 80, "cinahl": 60, "pubmed": 60, "wos": 50}
RANGES = {"ovid": (70, 90), "psycinfo": (70, 90), "cinahl": (50, 70), "pubmed": (50, 70),
          "wos": (40, 60), "grey": (12, 20)}
# How many databases a work turns up in, by category (weights for 1, 2, 3, 4 copies):
# relevant studies are indexed widely, unrelated hits less so.
K_WEIGHTS = {"eligible": (26, 36, 26, 12), "unrelated": (72, 23, 5, 0),
             "erratum": (0, 50, 40, 10)}
K_DEFAULT = (55, 31, 11, 3)
CAT_DB_WEIGHT = {  # which databases favour which topics (nursing -> CINAHL, psychology -> PsycInfo)
    "clinical": {"ovid": 1.4, "pubmed": 1.3, "cinahl": 1.3, "psycinfo": 0.7, "wos": 0.7},
    "family": {"psycinfo": 1.5, "cinahl": 1.2},
    "unmoderated": {"psycinfo": 1.3, "wos": 1.3},
    "unrelated": {"psycinfo": 1.2, "cinahl": 0.6},
    "pre2000": {"wos": 2.5}, "erratum": {"wos": 4.0},   # exercise WoS's upper case, [Anonymous]
}
DOI_DROP = {"ovid": 0.10, "psycinfo": 0.08, "cinahl": 0.20, "pubmed": 0.05, "wos": 0.12}


@dataclass(frozen=True)
class Journal:
    full: str
    ta: str        # NLM abbreviation, also Ovid JA
    jt: str        # NLM full title (sentence case, as in PubMed JT)
    j9: str        # Web of Science 29-character abbreviation
    ji: str        # ISO abbreviation as in WoS JI
    pissn: str | None   # 7 digits, check digit computed (invented values)
    eissn: str
    publisher: str
    pl: str        # place of publication (PubMed PL)
    jid: str       # invented NLM ID
    y0: int        # first year, volume in that year, volumes per year
    v0: int
    vpy: int
    issues: int    # issues per year (0: continuous publication)
    artnum: str | None  # article-number pattern for online-only journals
    medline: bool


J = Journal
JOURNALS = {
    "BJPO": J("BJPsych Open", "BJPsych Open", "BJPsych open", "BJPSYCH OPEN", "BJPsych Open",
              None, "2056471", "Cambridge University Press", "England", "101660281", 2015, 1, 1,
              6, "e{}", True),
    "ASR": J("Archives of Suicide Research", "Arch Suicide Res", "Archives of suicide research :"
             " official journal of the International Academy for Suicide Research",
             "ARCH SUICIDE RES", "Arch. Suicide Res.", "1381772", "1543813", "Taylor & Francis",
             "England", "9809413", 1995, 1, 1, 4, None, True),
    "CRISIS": J("Crisis", "Crisis", "Crisis", "CRISIS", "Crisis", "0227591", "2151239",
                "Hogrefe Publishing", "Germany", "8910528", 1980, 1, 1, 6, None, True),
    "JMIR": J("Journal of Medical Internet Research", "J Med Internet Res",
              "Journal of medical Internet research", "J MED INTERNET RES", "J. Med. Internet Res.",
              None, "1438817", "JMIR Publications", "Canada", "100959884", 1999, 1, 1, 12,
              "e{:05d}", True),
    "HSCC": J("Health & Social Care in the Community", "Health Soc Care Community",
              "Health & social care in the community", "HEALTH SOC CARE COMM",
              "Health Soc. Care Community", "0966413", "1365254", "Wiley-Blackwell", "England",
              "9306359", 1993, 1, 1, 6, None, True),
    "QHR": J("Qualitative Health Research", "Qual Health Res", "Qualitative health research",
             "QUAL HEALTH RES", "Qual. Health Res.", "1049736", "1552738", "SAGE Publications",
             "United States", "9202144", 1991, 1, 1, 12, None, True),
    "SSM": J("Social Science & Medicine", "Soc Sci Med", "Social science & medicine (1982)",
             "SOC SCI MED", "Soc. Sci. Med.", "0277957", "1873538", "Elsevier", "England",
             "8303205", 1988, 26, 2, 0, None, True),
    "CYBER": J("Cyberpsychology, Behavior, and Social Networking", "Cyberpsychol Behav Soc Netw",
               "Cyberpsychology, behavior and social networking", "CYBERPSYCH BEH SOC N",
               "Cyberpsychol. Behav. Soc. Netw.", "2152271", "2152272", "Mary Ann Liebert",
               "United States", "101528721", 2010, 13, 1, 12, None, True),
    "JMH": J("Journal of Mental Health", "J Ment Health", "Journal of mental health (Abingdon,"
             " England)", "J MENT HEALTH", "J. Ment. Health", "0963823", "1360056",
             "Taylor & Francis", "England", "9206614", 1992, 1, 1, 6, None, True),
    "IJMHN": J("International Journal of Mental Health Nursing", "Int J Ment Health Nurs",
               "International journal of mental health nursing", "INT J MENT HEALTH NU",
               "Int. J. Ment. Health Nurs.", "1445835", "1447034", "Wiley-Blackwell", "Australia",
               "101140527", 2002, 11, 1, 6, None, True),
    "SLTB": J("Suicide and Life-Threatening Behavior", "Suicide Life Threat Behav",
              "Suicide & life-threatening behavior", "SUICIDE LIFE-THREAT", "Suicide Life-Threat."
              " Behav.", "0363023", "1943278", "Wiley", "United States", "7608054", 1988, 18, 1,
              6, None, True),
    "CAMH": J("Child and Adolescent Mental Health", "Child Adolesc Ment Health",
              "Child and adolescent mental health", "CHILD ADOL MENT H-UK",
              "Child Adolesc. Ment. Health", "1475357", "1475358", "Wiley-Blackwell", "England",
              "101125313", 2002, 7, 1, 4, None, True),
    "BMCP": J("BMC Psychiatry", "BMC Psychiatry", "BMC psychiatry", "BMC PSYCHIATRY",
              "BMC Psychiatry", None, "1471244", "BioMed Central", "England", "100968559", 2001,
              1, 1, 0, "{}", True),
    "BMJO": J("BMJ Open", "BMJ Open", "BMJ open", "BMJ OPEN", "BMJ Open", None, "2044605",
              "BMJ Publishing Group", "England", "101552874", 2011, 1, 1, 12, "e0{:05d}", True),
    "JPMHN": J("Journal of Psychiatric and Mental Health Nursing", "J Psychiatr Ment Health Nurs",
               "Journal of psychiatric and mental health nursing", "J PSYCHIATR MENT HLT",
               "J. Psychiatr. Ment. Health Nurs.", "1351012", "1365285", "Wiley-Blackwell",
               "England", "9439514", 1994, 1, 1, 10, None, True),
    "EMJ": J("Emergency Medicine Journal", "Emerg Med J", "Emergency medicine journal : EMJ",
             "EMERG MED J", "Emerg. Med. J.", "1472020", "1472021", "BMJ Publishing Group",
             "England", "100963089", 2001, 18, 1, 12, None, True),
    "JADOL": J("Journal of Adolescence", "J Adolesc", "Journal of adolescence", "J ADOLESCENCE",
               "J. Adolesc.", "0140197", "1095925", "Elsevier", "England", "7808986", 1988, 11,
               1, 6, None, True),
    "JAD": J("Journal of Affective Disorders", "J Affect Disord", "Journal of affective disorders",
             "J AFFECT DISORDERS", "J. Affect. Disord.", "0165032", "1573251", "Elsevier",
             "Netherlands", "7906073", 1988, 14, 8, 0, None, True),
    "IJED": J("International Journal of Eating Disorders", "Int J Eat Disord",
              "The International journal of eating disorders", "INT J EAT DISORDER",
              "Int. J. Eating Disord.", "0276347", "1098108", "Wiley", "United States",
              "8111226", 1988, 7, 1, 12, None, True),
    "ADDB": J("Addictive Behaviors", "Addict Behav", "Addictive behaviors", "ADDICT BEHAV",
              "Addict. Behav.", "0306460", "1873632", "Elsevier", "England", "7603486", 1988,
              13, 1, 12, None, True),
    "JACH": J("Journal of American College Health", "J Am Coll Health",
              "Journal of American college health : J of ACH", "J AM COLL HEALTH",
              "J. Am. Coll. Health", "0744848", "1940320", "Taylor & Francis", "United States",
              "8214119", 1988, 36, 1, 8, None, True),
    "MHRJ": J("Mental Health Review Journal", "", "", "MENT HEALTH REV J", "Ment. Health Rev. J.",
              "1361932", "2042858", "Emerald Publishing", "England", "", 1996, 1, 1, 4, None,
              False),
    "JPMH": J("Journal of Public Mental Health", "", "", "J PUBLIC MENT HEALTH",
              "J. Public Ment. Health", "1746572", "2042873", "Emerald Publishing", "England", "",
              2002, 1, 1, 4, None, False),
}

GIVEN = ["Jane", "José", "Aoife", "Siobhán", "Kwame", "Priya", "Mei", "Lars", "Ingrid", "Tomás",
         "Fatima", "Chloé", "Zoë", "Björn", "Oluwaseun", "Hannah", "Liam", "Niamh", "Rhys", "Amara",
         "Yusuf", "Anouk", "Sanna", "Mateus", "Daniela", "Hiroshi", "Aroha", "Ewa", "Jean-Luc",
         "Marta", "Connor", "Leila", "Dmitri", "Grace", "Samuel", "Helga", "Ravi", "Nadia",
         "Oisín", "Freya", "Tariq", "Lucía", "Emeka", "Katarzyna", "Mikkel", "Sophie", "Declan",
         "Ana", "Thabo", "Elif"]
SURNAMES = ["Müller", "Øvergaard", "Nuñez", "García", "O'Connor", "Okafor", "Nakamura",
            "Kowalczyk", "Fitzgerald", "Haugen", "Lindqvist", "Brennan", "Achterberg", "Şahin",
            "Søndergaard", "Dubois", "Lefèvre", "Kaur", "Chowdhury", "Mensah", "MacLeod", "Hughes",
            "Whitfield", "Ashworth", "Pereira", "Jovanović", "Novák", "Halvorsen", "Bianchi",
            "Reyes", "Tanaka", "Holloway", "Pemberton", "Carver", "Doherty", "van der Berg",
            "Ward-Ellison", "Ní Bhriain", "Schäfer", "Nordström", "Adeyemi", "Quinlan", "Petrović",
            "Moreau", "Castillo", "Brandt", "Lund", "Osei", "Farrell", "Iqbal", "Rowntree",
            "Delaney", "Kristiansen", "Wójcik", "Hartmann", "Byrne", "Ferreira", "Yamamoto",
            "Gallagher", "Thornbury"]
PLACES = [  # (country as written in abstracts, WoS country, city, invented institution, WoS form)
    ("England", "England", "Leeds", "University of Northmoor", "Univ Northmoor"),
    ("England", "England", "Bristol", "Severnside University", "Severnside Univ"),
    ("Scotland", "Scotland", "Glasgow", "Clydebank Institute of Health", "Clydebank Inst Hlth"),
    ("Wales", "Wales", "Cardiff", "Taff Valley University", "Taff Valley Univ"),
    ("Ireland", "Ireland", "Galway", "Atlantic Technological College", "Atlantic Technol Coll"),
    ("Australia", "Australia", "Melbourne", "Yarra University", "Yarra Univ"),
    ("the United States", "USA", "Portland", "Cascade State University", "Cascade State Univ"),
    ("Canada", "Canada", "Halifax", "Maritime Shore University", "Maritime Shore Univ"),
    ("Norway", "Norway", "Bergen", "Western Fjords University College", "Western Fjords Univ Coll"),
    ("Germany", "Germany", "Leipzig", "Saxon University of Applied Sciences",
     "Saxon Univ Appl Sci"),
    ("New Zealand", "New Zealand", "Dunedin", "Southern Lakes University", "Southern Lakes Univ"),
    ("the Netherlands", "Netherlands", "Utrecht", "Domstad University", "Domstad Univ"),
    ("Sweden", "Sweden", "Umeå", "Norrland University", "Norrland Univ"),
]

# Study designs: the phrase used in titles -> the method sentence used in abstracts.
DESIGNS = {
    "a qualitative interview study": "We held semi-structured interviews with {n} {who}.",
    "a qualitative study": "We interviewed {n} {who} and analysed the data thematically.",
    "a thematic analysis of focus groups": "Focus groups were held with {n} {who}.",
    "an interpretative phenomenological analysis": "We interviewed {n} {who} in depth.",
    "a cross-sectional survey": "An online survey was completed by {n3} {who}.",
    "a mixed-methods evaluation": "We surveyed {n3} {who} and interviewed {n} volunteers.",
    "a service evaluation": "We reviewed anonymised feedback from {n3} {who} over {k} years.",
    "a content analysis of forum posts": "We coded {n3} archived posts, with the host's consent.",
    "a netnographic study": "With members' agreement, we observed the forum for {k} months.",
    "a randomised controlled trial": "We randomised {n3} participants to the intervention "
                                     "or usual care.",
    "a cluster randomised trial": "We randomised {k2} sites to the intervention or control.",
    "a retrospective cohort study": "We examined routine records for {n3} patients.",
    "a cohort study": "We followed {n3} participants for {k} years.",
    "a pilot feasibility study": "We assessed recruitment and acceptability with {n} {who}.",
    "a feasibility study": "We assessed recruitment and acceptability with {n} {who}.",
    "a systematic review": "We searched five databases and included {k2} studies.",
    "a systematic review and meta-analysis": "We pooled data from {k2} studies.",
    "a pre–post evaluation": "Outcomes were measured before and after the programme.",
    "a cross-sectional study": "We analysed cross-sectional data from {n3} participants.",
    "a content analysis": "We coded a random sample of {n3} public posts.",
    "a computational analysis of public posts": "We classified {n3} public posts automatically.",
    "a qualitative analysis of comments": "We analysed {n3} public comments qualitatively.",
    "an exploratory study": "Members of {k} groups took part in informal interviews.",
    "a descriptive survey": "A postal questionnaire was returned by {n3} {who}.",
    "report of a pilot project": "We describe the first {k} years of a volunteer-run project.",
    "an evaluation": "Members and volunteers completed questionnaires.",
}

# Topic specifications.  Title templates draw on the slots; "{ofmt}"/"{odesign}" mark online
# variants; upper-case slot names give a capitalised value, a trailing "l" a lower-cased one.
CATEGORIES = {
    "eligible": dict(
        n=40, years=(2001, 2022),
        journals=["ASR", "CRISIS", "JMIR", "HSCC", "QHR", "SSM", "CYBER", "JMH", "BJPO", "BMCP",
                  "CAMH", "MHRJ", "JPMH", "BMJO"],
        titles=["Experiences of {fmt} among {pop}: {design}",
                "Experiences of {ofmt} among {pop}: {odesign}",
                "'{quote}': {fmt} for {pop} run by {where}",
                "'{quote}': {ofmt} for {pop}",
                "Peer support for self-harm outside clinical services: {fmt} run by {where} in "
                "{country}",
                "What do {pop} value in {fmt}? {DESIGN}",
                "Hope & belonging: {design} of {fmt} for {pop}",
                "How moderators shape peer support in {ofmt} for {pop}: {odesign}",
                "Volunteer peer mentors supporting {pop} in {where}: {design}",
                "Mutual help and self-harm: {fmt} in {country}",
                "Safe spaces to talk – {ofmt} for {pop} in {country}",
                "Peer support, stigma and help-seeking among {pop} using {ofmt}: {odesign}",
                "Facilitating {fmt} for {pop}: lessons from {where} in {country}"],
        slots=dict(
            fmt=["peer support groups", "one-to-one peer mentoring", "volunteer-led support groups",
                 "peer-led self-help groups", "group peer support",
                 "peer mentoring by trained volunteers"],
            ofmt=["a moderated online forum", "moderated online peer communities",
                  "a moderated peer support website", "moderated online discussion groups"],
            where=["a voluntary-sector organisation", "community organisations",
                   "a self-injury charity", "third-sector services", "a youth charity",
                   "a community drop-in service"],
            pop=["young people who self-harm", "adults who self-harm",
                 "university students who self-harm", "women who self-harm",
                 "young men who self-harm", "LGBTQ+ young people who self-harm",
                 "adolescents with experience of self-harm",
                 "people with lived experience of self-harm"],
            quote=["Someone who just gets it", "You are not alone", "It felt safe to talk",
                   "Being heard without judgement", "A place to be honest",
                   "We keep each other going", "Nobody rushed me"],
            design=["a qualitative interview study", "a thematic analysis of focus groups",
                    "an interpretative phenomenological analysis", "a cross-sectional survey",
                    "a mixed-methods evaluation", "a service evaluation"],
            odesign=["a content analysis of forum posts", "a netnographic study",
                     "a cross-sectional survey", "a qualitative interview study",
                     "a mixed-methods evaluation"],
            who=["group members", "service users", "current and former members"]),
        s1=["Peer support for people who self-harm is increasingly offered outside clinical "
            "services.", "Voluntary-sector organisations in {country} offer {fmt} to {pop}.",
            "Little is known about how {pop} experience {fmt} outside health services.",
            "Many people who self-harm do not seek help from clinical services, and some turn to "
            "peer support instead."],
        s3=["Participants valued being understood by peers with similar experiences, practical "
            "information and a sense of belonging.", "Members described the support as safe and "
            "non-judgemental, although some found it hard to join at first.",
            "Clear ground rules, trained facilitators and active moderation were seen as "
            "important for feeling safe.", "Peer support complemented rather than replaced "
            "professional help for many participants.", "Participants reported less isolation "
            "and more confidence in seeking further help."],
        s4=["Organisations offering peer support should provide training and supervision for "
            "volunteers.", "Longer-term outcomes of peer support in non-clinical settings "
            "warrant further study."],
        kw=["self-harm", "peer support", "voluntary sector", "qualitative research",
            "online forum", "moderation", "mutual aid", "help-seeking", "third sector",
            "lived experience", "self-help groups", "young people"],
        mesh=[("Self-Injurious Behavior", "psychology", True), ("Peer Group", None, True),
              ("Social Support", None, True), ("Self-Help Groups", None, False),
              ("Voluntary Health Agencies", None, False), ("Qualitative Research", None, False),
              ("Internet", None, False), ("Help-Seeking Behavior", None, False)]),
    "pre2000": dict(
        n=15, years=(1988, 1999),
        journals=["ASR", "CRISIS", "SSM", "SLTB", "JMH", "HSCC", "QHR", "JPMHN", "MHRJ"],
        titles=["Self-help groups for {pop}: {design}",
                "Mutual support among {pop}: experiences of {fmt} in {country}",
                "{FMT} for {pop}: {design}",
                "Deliberate self-harm and self-help: the role of {fmt}",
                "Survivors supporting survivors: {fmt} for {pop}",
                "Beyond the clinic: {fmt} for {pop} in {country}"],
        slots=dict(
            fmt=["a women's self-help group", "a voluntary-sector support group",
                 "a drop-in peer support group", "a community self-help network",
                 "a moderated electronic mailing list", "a peer-run support line"],
            pop=["women who self-injure", "young people who self-harm", "people who self-harm",
                 "adults with a history of self-injury"],
            design=["an exploratory study", "a descriptive survey", "report of a pilot project",
                    "an evaluation", "a qualitative study"],
            who=["members", "participants"]),
        s1=["Self-help groups for {pop} have developed largely outside statutory services.",
            "Mutual support outside statutory services has received little research attention.",
            "There is growing interest in mutual support for {pop}.",
            "Voluntary organisations in {country} have begun to offer {fmt}."],
        s3=["Members valued mutual acceptance and the opportunity to talk openly.",
            "The group was described as a source of understanding that complemented other help.",
            "Volunteers identified a need for training and support for facilitators."],
        s4=[], kw=["deliberate self-harm", "self-injury", "self-help groups", "mutual support",
                   "voluntary organisations"],
        mesh=[("Self-Injurious Behavior", "psychology", True), ("Self-Help Groups", None, True),
              ("Social Support", None, False), ("Voluntary Health Agencies", None, False)]),
    "clinical": dict(
        n=37, years=(2001, 2023),
        journals=["IJMHN", "JPMHN", "EMJ", "BJPO", "BMCP", "BMJO", "SLTB", "CRISIS", "ASR", "CAMH"],
        titles=["{interv} for {cpop} who self-harm in {csetting}: {design}",
                "Staff attitudes towards patients who self-harm in {csetting}: {design}",
                "Psychosocial assessment after self-harm in {csetting}: {design}",
                "Peer support workers in {csetting}: {design}",
                "Patient experiences of {csetting} after self-harm: {design}",
                "{interv} delivered in {csetting} in {country}: {design}",
                "Repeat presentations with self-harm to {csetting}: {design}"],
        slots=dict(
            interv=["Dialectical behaviour therapy", "Mentalization-based treatment",
                    "Brief contact interventions", "Clinician-led group therapy",
                    "Nurse-led follow-up", "Safety planning", "Collaborative assessment",
                    "Cognitive behavioural therapy"],
            cpop=["adolescents", "adults", "young people", "women", "older adults",
                  "university students"],
            csetting=["an adolescent inpatient unit", "acute psychiatric wards",
                      "the emergency department", "a hospital outpatient programme",
                      "a specialist self-harm service", "liaison psychiatry services",
                      "secure inpatient settings", "a hospital-based DBT programme"],
            design=["a randomised controlled trial", "a retrospective cohort study",
                    "a pilot feasibility study", "a qualitative study", "a cross-sectional survey",
                    "a systematic review", "a pre–post evaluation"],
            who=["patients", "clinicians", "nursing staff", "service users"]),
        s1=["People who self-harm often have contact with {csetting}.",
            "{interv} is widely used with {cpop} who self-harm in clinical settings.",
            "The quality of clinical care after self-harm varies considerably between services."],
        s3=["The intervention was acceptable to most participants and attendance was high.",
            "Outcomes did not differ significantly between groups at follow-up.",
            "Staff described training needs and time pressures as barriers to compassionate care.",
            "Continuity of care between hospital and community services was often lacking."],
        s4=["Services should involve people with lived experience in designing care."],
        kw=["self-harm", "inpatient care", "emergency department", "dialectical behaviour therapy",
            "mental health nursing", "psychosocial assessment", "clinical services"],
        mesh=[("Self-Injurious Behavior", "therapy", True), ("Hospitalization", None, False),
              ("Emergency Service, Hospital", None, True), ("Psychotherapy, Group", None, False),
              ("Attitude of Health Personnel", None, False), ("Inpatients", "psychology", False)]),
    "family": dict(
        n=15, years=(2003, 2022),
        journals=["CAMH", "JADOL", "QHR", "HSCC", "ASR", "CRISIS", "JMH", "BMCP"],
        titles=["Parents' experiences of supporting a young person who self-harms: {design}",
                "Support from friends after disclosure of self-harm among {fpop}: {design}",
                "'{fquote}': {rel} of {fpop} who self-harm",
                "Family support and help-seeking after self-harm in {country}: {design}",
                "Informal support from {rel} for {fpop} who self-harm: {design}",
                "The impact of self-harm on {rel}: {design}"],
        slots=dict(
            rel=["parents", "siblings", "friends", "partners", "carers and relatives", "mothers"],
            fpop=["adolescents", "young adults", "university students", "adults",
                  "children and adolescents"],
            fquote=["I didn't know what to say", "Learning to listen", "Walking alongside them",
                    "We had to find our own way", "Always on alert"],
            design=["a qualitative interview study", "a cross-sectional survey",
                    "an interpretative phenomenological analysis", "a mixed-methods evaluation",
                    "a systematic review"],
            who=["parents", "relatives", "young people", "family members"]),
        s1=["Relatives and friends are often the first to learn that someone self-harms.",
            "Families play an important role in supporting {fpop} who self-harm.",
            "Little is known about the needs of {rel} supporting someone who self-harms."],
        s3=["Relatives described uncertainty about how to respond and a need for accessible "
            "information.", "Friends were often the first people told, and their reactions "
            "influenced later help-seeking.", "Participants reported strain on family "
            "relationships alongside a strong commitment to helping."],
        s4=[], kw=["self-harm", "parents", "family", "friends", "disclosure", "carers",
                   "informal support"],
        mesh=[("Self-Injurious Behavior", "psychology", True), ("Parents", "psychology", True),
              ("Family Relations", None, False), ("Friends", None, False),
              ("Caregivers", None, False)]),
    "unmoderated": dict(
        n=15, years=(2008, 2023),
        journals=["CYBER", "JMIR", "SSM", "CRISIS", "SLTB", "JADOL", "ASR"],
        titles=["Self-harm content on {platform}: {design}",
                "Hashtags and self-harm on {platform}: {design}",
                "Unmoderated online discussion of self-harm among {upop}: {design}",
                "Peer interaction without moderation: self-harm communities on {platform}",
                "Exposure to self-harm content on {platform} and help-seeking among {upop}: "
                "{design}", "Self-harm-related posts and replies on {platform}: {design}"],
        slots=dict(
            platform=["an image-sharing platform", "a microblogging site",
                      "video-sharing platforms",
                      "open discussion boards", "social media", "an anonymous question-and-answer "
                      "site", "a short-video app"],
            upop=["adolescents", "young adults", "university students", "young people"],
            design=["a content analysis", "a cross-sectional survey",
                    "a computational analysis of public posts",
                    "a qualitative analysis of comments", "a cohort study"],
            who=["young people", "users", "participants"]),
        s1=["Young people increasingly discuss self-harm on {platform}.",
            "Much self-harm-related content online is posted without moderation.",
            "Concerns have been raised about unmoderated self-harm content on {platform}."],
        s3=["Most posts were not moderated and few included signposting to support services.",
            "Users reported both feeling understood and encountering distressing material.",
            "Replies were often supportive, but unhelpful content was rarely removed."],
        s4=[], kw=["self-harm", "social media", "internet", "content analysis", "adolescents",
                   "online communities"],
        mesh=[("Self-Injurious Behavior", "psychology", True), ("Social Media", None, True),
              ("Internet", None, False), ("Adolescent Behavior", None, False)]),
    "unrelated": dict(
        n=66, years=(2002, 2023),
        journals=["JAD", "IJED", "ADDB", "JACH", "JMH", "BMCP", "BMJO", "JMIR", "SSM", "JADOL",
                  "IJMHN", "BJPO"],
        titles=["{ic0} for {ic1} in {upop}: {design}",
                "Effectiveness of {ic0l} for {ic1} in {upop}: {design}",
                "Barriers to help-seeking for {ic1} among {upop}: {design}",
                "{IC1} and {outc} among {upop}: {design}",
                "Cost-effectiveness of {ic0l} for {ic1}: {design}",
                "Long-term outcomes of {ic0l} for {ic1} in {country}"],
        slots=dict(
            ic=[("A smartphone app", "depression"), ("Guided internet-based CBT", "anxiety"),
                ("A school-based programme", "eating disorders"), ("Peer education",
                "alcohol misuse"), ("Physical activity", "depression"), ("Mindfulness training",
                "psychological distress"), ("A brief alcohol intervention", "hazardous drinking"),
                ("Family-based treatment", "anorexia nervosa"), ("Social prescribing",
                "loneliness"), ("A walking group", "low mood"), ("Text message reminders",
                "medication adherence"), ("Digital CBT", "insomnia"), ("Group exercise",
                "post-traumatic stress"), ("Early intervention", "first-episode psychosis"),
                ("Online self-help", "gambling problems"), ("Workplace coaching", "burnout"),
                ("Health visitor support", "perinatal depression"), ("Parent training", "ADHD")],
            upop=["university students", "older adults", "adolescents", "new mothers",
                  "health care workers", "refugees", "military veterans", "primary care patients",
                  "rural adults", "secondary school pupils"],
            outc=["sleep quality", "wellbeing", "quality of life", "academic performance",
                  "social functioning", "service use"],
            design=["a randomised controlled trial", "a cluster randomised trial", "a cohort study",
                    "a systematic review and meta-analysis", "a cross-sectional study",
                    "a qualitative study", "a feasibility study"],
            who=["participants"]),
        s1=["{IC1} is common among {upop} and affects {outc}.",
            "Evidence on {ic0l} for {ic1} remains limited.",
            "Access to support for {ic1} varies widely between areas.",
            "Common mental health problems place a considerable burden on individuals."],
        s3=["{ic0} was associated with small improvements in {outc}.",
            "Participants reported good acceptability, although engagement declined over time.",
            "Findings support further evaluation in routine practice."],
        s4=[], kw=["mental health", "prevention", "primary care", "digital health"],
        kwslots=["ic1", "outc", "upop"],
        mesh=[("Mental Health", None, True), ("Treatment Outcome", None, False),
              ("Health Promotion", "methods", False)]),
}
CHECK_TAGS = ["Adolescent", "Adult", "Female", "Male", "Young Adult"]
SUBHEADINGS = {"psychology": "px [Psychology]", "therapy": "th [Therapy]",
               "methods": "mt [Methods]"}

# Grey literature: (type, authors, title, publisher, city, year, site, path, abstract, M3, DOI)
GREY = [
    ("RPRT", ["Northbridge Self-Injury Support Network"], "Our voices: a community consultation "
     "on self-harm care in Northbridge", "Northbridge Self-Injury Support Network", "Leeds", 2016,
     "northbridge-sisn", "reports/our-voices-2016.pdf", "The network asked people with lived "
     "experience of self-harm about local support. Respondents described long waits for clinical "
     "services and valued community peer groups. The report sets out local priorities.", "", ""),
    ("GEN", ["Harbour Peer Support Trust"], "Running self-harm support groups: guidance for "
     "facilitators", "Harbour Peer Support Trust", "Plymouth", 2012, "harbourpeersupport",
     "resources/running-groups.pdf", "Practical guidance for volunteers who facilitate peer "
     "support groups for people who self-harm. It covers ground rules, confidentiality, "
     "supervision and signposting.", "Guidance", ""),
    ("GEN", ["Harbour Peer Support Trust"], "Running self-harm support groups: guidance for "
     "facilitators (2nd edition)", "Harbour Peer Support Trust", "Plymouth", 2019,
     "harbourpeersupport", "resources/running-groups-2019.pdf", "Revised guidance for volunteer "
     "facilitators of peer support groups, with a new section on online groups.", "Guidance", ""),
    ("ELEC", ["Harbour Peer Support Trust"], "Safe Harbour online community: moderation "
     "guidelines", "Harbour Peer Support Trust", "Plymouth", 2020, "harbourpeersupport",
     "community/moderation-guidelines", "Guidelines for the trained volunteer moderators of the "
     "Safe Harbour online peer community. They describe how posts are reviewed, how members are "
     "signposted to support and how moderators are supervised.", "Web page", ""),
    ("RPRT", ["Ní Dhonnchadha, Róisín", "Kearney, Paul"], "Evaluation of the Lantern "
     "peer-mentoring service for young people who self-harm: final report", "Lantern Youth Trust",
     "Cork", 2018, "lanternyouth", "evaluation-final-report.pdf", "An independent evaluation of a "
     "charity's one-to-one peer-mentoring service. Mentees valued consistent, non-judgemental "
     "support from trained volunteers. Recommendations cover volunteer supervision.", "", ""),
    ("GEN", ["Achterberg, Lotte", "Brennan, Ciara"], "Self-harm self-help groups: what members "
     "value", "Eastmoor Centre for Voluntary Action Research", "Sheffield", 2011, "eastmoor-cvar",
     "working-papers/wp14.pdf", "A qualitative working paper based on interviews with members of "
     "three self-help groups. Members valued acceptance, shared experience and flexible "
     "attendance.", "Working paper 14", ""),
    ("THES", ["Kristiansen, Maja"], "Finding common ground: peer support for self-harm in "
     "voluntary organisations", "Western Fjords University College", "Bergen", 2019,
     "openarchive.wfuc", "handle/11250/2650123", "A master's thesis using interviews with "
     "volunteers and members of two peer support organisations in Norway.", "Master's thesis", ""),
    ("THES", ["Osei, Abena"], "Lived experience, mutual aid and self-harm: an ethnography of two "
     "peer support groups", "Severnside University", "Bristol", 2021, "research.severnside",
     "theses/osei-2021", "A doctoral thesis exploring how two community peer support groups "
     "create a sense of safety and belonging.", "Doctoral thesis", "10.5555/SEVU.THESIS.2021.0007"),
    ("RPRT", ["Southern Cross Peer Network"], "Peer workforce in community self-harm services: "
     "national survey 2021", "Southern Cross Peer Network", "Melbourne", 2021,
     "southerncrosspeers", "publications/workforce-survey-2021.pdf", "A national survey of peer "
     "workers and volunteers in community organisations. It describes training, supervision and "
     "the settings in which peer support is offered.", "", ""),
    ("RPRT", ["Atlantic Rural Wellbeing Alliance"], "Self-harm and peer support in rural "
     "communities: a scoping consultation", "Atlantic Rural Wellbeing Alliance", "Galway", 2017,
     "atlanticwellbeing", "docs/rural-consultation.pdf", "A consultation with community groups "
     "on the availability of peer support for self-harm in rural areas.", "", ""),
    ("RPRT", ["Maple Peer Support Collective"], "Standards for peer support in community "
     "organisations supporting people who self-harm", "Maple Peer Support Collective", "Halifax",
     2015, "maplepeers", "standards.pdf", "Practice standards developed with members and "
     "volunteers for peer support groups run by community organisations.", "", ""),
    ("ELEC", ["Northbridge Self-Injury Support Network"], "Finding peer support for self-harm: a "
     "guide for young people", "Northbridge Self-Injury Support Network", "Leeds", 2022,
     "northbridge-sisn", "young-people/finding-peer-support", "A plain-language guide to peer "
     "support groups and moderated online communities for young people.", "Web page", ""),
    ("RPRT", ["Harbour Peer Support Trust"], "Annual review 2019–2020", "Harbour Peer Support "
     "Trust", "Plymouth", 2020, "harbourpeersupport", "about/annual-review-2020.pdf", "A summary "
     "of the trust's work, including peer support groups, the online community and volunteer "
     "training.", "Annual report", ""),
    ("RPRT", ["Fjordline Peer Support Association"], "Peer support groups for self-harm in "
     "Norway: evaluation of a pilot programme", "Fjordline Peer Support Association", "Trondheim",
     2014, "fjordline", "en/pilot-evaluation.pdf", "An evaluation of a pilot programme of "
     "volunteer-led peer support groups in four towns. Members reported reduced isolation.", "",
     "10.5555/FPSA.2014.0001"),
    ("GEN", ["Women's Self-Injury Network"], "Self-help for self-injury: a handbook for women's "
     "groups", "Women's Self-Injury Network", "Bristol", 1997, "wsin-archive",
     "handbook-1997.pdf", "A handbook for setting up and running self-help groups for women who "
     "self-injure, written by group members.", "Handbook", ""),
    ("RPRT", ["Kestrel Text Support"], "Evaluation of a volunteer text-based support line for "
     "people who self-harm", "Kestrel Text Support", "Edinburgh", 2023, "kestreltext",
     "evaluation-2023.pdf", "An evaluation of a text-based support line staffed by trained "
     "volunteers, based on user feedback and volunteer interviews.", "", ""),
]

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the",
               "to", "with", "without"}
FOLD = str.maketrans({"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Ł": "L", "ł": "l"})


@dataclass
class Work:
    """One publication; each database copy is rendered from it with that source's quirks."""
    wid: str
    cat: str
    title: str
    year: int
    journal: str = ""
    authors: list = field(default_factory=list)   # (surname, given, middle initial)
    abstract: str = ""
    keywords: list = field(default_factory=list)
    mesh: list = field(default_factory=list)
    place: tuple = PLACES[0]
    month: int = 1
    day: int = 1
    volume: str = ""
    issue: str = ""
    pages: tuple = ("", "")       # (first, last); (article number, "") for online journals
    doi: str = ""
    pmid: str = ""
    kind: str = "article"         # article, erratum, letter, abstract, grey
    related: str = ""
    files: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)
    print_year: int = 0
    grey: tuple = ()


# ---------------------------------------------------------------- text helpers
def issn(digits7):
    """Complete an invented 7-digit ISSN stem with a valid check digit."""
    if not digits7:
        return ""
    s = sum(int(c) * w for c, w in zip(digits7, range(8, 1, -1), strict=True))
    c = (11 - s % 11) % 11
    return f"{digits7[:4]}-{digits7[4:]}{'X' if c == 10 else c}"


def fold(s):
    """Strip diacritics, as ASCII-only exports do (Øvergaard -> Overgaard)."""
    s = unicodedata.normalize("NFKD", s.translate(FOLD))
    return "".join(c for c in s if not unicodedata.combining(c))


def cap(s):
    return s[:1].upper() + s[1:]


def low(s):
    first = s.split(" ")[0]
    return s if len(first) > 1 and first.isupper() else s[:1].lower() + s[1:]


def title_case(t):
    """Headline-style capitalisation, as some CINAHL records show."""
    words, out, after_colon = t.split(" "), [], True
    for word in words:
        parts = []
        for k, p in enumerate(word.split("-")):
            lead = len(p) - len(p.lstrip("'("))
            core = p[lead:]
            small = core in SMALL_WORDS and (k or not after_colon)
            if core.islower() and not small:
                core = cap(core)
            parts.append(p[:lead] + core)
        out.append("-".join(parts))
        after_colon = word.endswith((":", "?", "–"))
    return " ".join(out)


def compact_pages(first, last):
    """MEDLINE page style: 123-129 -> 123-9, 45-52 -> 45-52."""
    if not last or last == first:
        return first
    i = 0
    while i < len(first) and len(first) == len(last) and first[i] == last[i]:
        i += 1
    return f"{first}-{last[i:]}"


def initials(given, mid):
    return "".join(p[0] for p in given.split("-")) + mid


def wrap(text, width):
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


# ---------------------------------------------------------------- building the works
def make_authors(rng, n):
    return [(s, g, rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else "")
            for s, g in zip(rng.sample(SURNAMES, n), rng.sample(GIVEN, n), strict=True)]


def usable(sentences, tpl):
    """Abstract sentences whose slots all appear in the title, so title and abstract agree."""
    def names(text):
        return {m.lower() for m in re.findall(r"{(\w+?)l?}", text)}
    have = names(tpl) | {"country", "n", "n3", "k", "k2", "who"}
    have |= {h[1:] for h in have if h.startswith("o")}   # {ofmt} counts as {fmt}
    return [s for s in sentences if names(s) <= have]


def fill_topic(spec, rng, seen):
    """Draw a unique title from a category's templates plus a matching 2-4 sentence abstract."""
    while True:
        tpl = rng.choice(spec["titles"])
        vals = {}
        for name, options in spec["slots"].items():
            v = rng.choice(options)
            if isinstance(v, tuple):
                vals.update({f"{name}{i}": part for i, part in enumerate(v)})
            else:
                vals[name] = v
        place = rng.choice(PLACES)
        vals.update(country=place[0], n=rng.randint(8, 40), n3=rng.randint(60, 1500),
                    k=rng.randint(2, 6), k2=rng.randint(6, 40))
        if "{ofmt}" in tpl:
            vals.update(fmt=vals["ofmt"], who="forum members")
        if "{ofmt}" in tpl or "{odesign}" in tpl:
            vals["design"] = vals["odesign"]
        for key, v in list(vals.items()):
            if isinstance(v, str):
                vals[key.upper()], vals[key + "l"] = cap(v), low(v)
        title = tpl.format(**vals)
        if title not in seen:
            break
    seen.add(title)
    sentences = [rng.choice(usable(spec["s1"], tpl)), DESIGNS[vals["design"]],
                 rng.choice(usable(spec["s3"], tpl))]
    if spec["s4"] and rng.random() < 0.5:
        sentences.append(rng.choice(spec["s4"]))
    kws = rng.sample(spec["kw"], min(len(spec["kw"]), rng.randint(3, 5)))
    kws += [vals[s] for s in spec.get("kwslots", [])]
    return title, " ".join(s.format(**vals) for s in sentences), kws, place


class Builder:
    """Creates works with unique invented identifiers (PMID, DOI, accession numbers)."""

    def __init__(self, rng):
        self.rng, self.works, self.titles, self.used = rng, [], set(), set()

    def unique(self, make):
        while (value := make()) in self.used:
            pass
        self.used.add(value)
        return value

    def add(self, cat, title, year, journal, **kw):
        rng, j = self.rng, JOURNALS.get(journal)
        w = Work(f"W{len(self.works) + 1:03d}", cat, title, year, journal, **kw)
        self.titles.add(title)
        self.works.append(w)
        if not j:  # grey literature
            return w
        if "month" not in kw:
            w.month, w.day = rng.randint(1, 12), rng.randint(1, 28)
        w.volume = w.volume or str(j.v0 + (year - j.y0) * j.vpy + (w.month - 1) * j.vpy // 12)
        if not w.issue and j.issues:
            w.issue = str((w.month - 1) * j.issues // 12 + 1)
        if not w.pages[0]:
            if j.artnum:
                w.pages = (j.artnum.format(rng.randint(20, 99999 if "05" in j.artnum else 900)), "")
            else:
                first = rng.randint(1, 1400)
                w.pages = (str(first), str(first + rng.randint(5, 15)))
        if j.medline:
            w.pmid = self.unique(lambda: str(90_000_000 + (year - 1988) * 250_000
                                             + rng.randrange(250_000)))
        if not w.doi and (year >= 2000 or (year >= 1998 and rng.random() < 0.5)):
            w.doi = self.unique(lambda: f"10.5555/{journal}.{year}.{rng.randint(1, 9999):04d}")
        w.print_year = year + 1 if w.month == 12 and year >= 2005 and rng.random() < 0.6 else year
        return w

    def topic_fields(self, spec):
        """Title, year, journal, authors, abstract, keywords and MeSH for one topic work."""
        rng = self.rng
        title, abstract, kws, place = fill_topic(spec, rng, self.titles)
        year = rng.randint(*spec["years"])
        journal = rng.choice([k for k in spec["journals"] if JOURNALS[k].y0 <= year])
        n_auth = rng.choices([1, 2, 3, 4, 5, 6], [2, 3, 4, 4, 3, 2] if year >= 2000 else
                             [4, 4, 3, 1, 0, 0])[0]
        mesh = rng.sample(spec["mesh"], min(len(spec["mesh"]), 4))
        mesh += [("Humans", None, False)] + [(t, None, False) for t in rng.sample(CHECK_TAGS, 2)]
        return dict(title=title, year=year, journal=journal, authors=make_authors(rng, n_auth),
                    abstract=abstract, keywords=kws, mesh=sorted(mesh, key=lambda m: m[0]),
                    place=place)


def build_works(rng):
    """The pool: topic works, explicit tricky pairs (not duplicates) and grey literature."""
    b = Builder(rng)
    for cat, spec in CATEGORIES.items():
        for _ in range(spec["n"]):
            b.add(cat, **b.topic_fields(spec))
    elig = [w for w in b.works if w.cat == "eligible" and JOURNALS[w.journal].medline]
    spec = CATEGORIES["eligible"]
    # Protocols and their results papers: the titles differ only in "protocol for".
    for title, journal, year in [
            ("Peer mentoring for young people who self-harm in a community charity: "
             "a qualitative interview study", "HSCC", 2019),
            ("A moderated online peer community for young adults who self-harm: "
             "a mixed-methods evaluation", "JMIR", 2021)]:
        res = b.add("eligible", **(b.topic_fields(spec) | dict(title=title, year=year,
                                                               journal=journal)))
        main, design = title.rsplit(": ", 1)
        b.add("protocol", f"{main}: protocol for {design}", year - 2, "BMJO",
              authors=res.authors[:3] + make_authors(rng, 1), abstract="This protocol describes "
              f"{design} of {low(main)}. Ethical approval has been obtained and findings will be "
              "shared with participating organisations.", keywords=res.keywords,
              mesh=res.mesh, place=res.place, related=res.wid)
    # Errata: "Correction to:" / "Erratum:" + exact title, same journal, no authors.
    clin = [w for w in b.works if w.cat == "clinical" and JOURNALS[w.journal].medline]
    originals = rng.sample(elig, 2) + [rng.choice(clin)]
    for prefix, orig in zip(["Correction to: ", "Erratum: ", "Correction to: "], originals,
                            strict=True):
        b.add("erratum", prefix + orig.title, orig.year + (orig.month == 12), orig.journal,
              kind="erratum", related=orig.wid, place=orig.place, month=orig.month % 12 + 1,
              day=rng.randint(1, 28))
    # Conference abstracts in a supplement, a year before the full paper.
    later = [w for w in elig if w.year >= 2017 and w not in originals and ": " in w.title
             and not w.title.startswith("'")]
    for i, full in enumerate(rng.sample(later, 2)):
        title = full.title if i == 0 else full.title.split(": ")[0] + ": preliminary findings"
        w = b.add("conference_abstract", title, full.year - 1, "BJPO", kind="abstract",
                  authors=full.authors[:3], abstract=full.abstract, keywords=full.keywords,
                  place=full.place, related=full.wid, issue="Suppl 1",
                  pages=(f"S{rng.randint(20, 250)}", ""))
        w.doi = "" if i == 0 else w.doi
    # Part 1 / Part 2 by the same team in the same issue.
    team, first, parts = make_authors(rng, 3), rng.randint(300, 900), []
    for n, who in [(1, "moderators"), (2, "members")]:
        parts.append(b.add(
            "part", f"Moderated online peer support for self-harm. Part {n}: the {who}' "
            "perspective", 2017, "CYBER", authors=team, month=5, day=1, abstract=f"This is part "
            f"{n} of a study of a moderated online community run by a self-injury charity. We "
            f"interviewed {rng.randint(10, 25)} {who} about how moderation shapes peer support. "
            "Participants valued clear rules and prompt, respectful moderation.",
            keywords=["self-harm", "online peer support", "moderation"], mesh=spec["mesh"][:3],
            pages=(str(first + 9 * n - 9), str(first + 9 * n - 1))))
    parts[0].related, parts[1].related = parts[1].wid, parts[0].wid
    # A comment letter and the authors' reply about one eligible paper.
    orig = rng.choice([w for w in elig if w not in originals and w.year <= 2021])
    for prefix, authors in [("Comment on: ", make_authors(rng, 2)), ("Reply to: ", orig.authors)]:
        b.add("comment", prefix + orig.title, orig.year + 1, orig.journal, kind="letter",
              authors=authors, related=orig.wid, place=orig.place)
    for ty, authors, title, pub, city, year, site, path, abstract, m3, doi in GREY:
        b.add("grey", title, year, "", kind="grey", abstract=abstract, doi=doi,
              authors=authors, grey=(ty, pub, city, f"https://www.{site}.example.org/{path}", m3))
    return b.works


def assign_files(works, rng):
    """Spread journal works over the databases so many appear in 2-4 files.

    Tricky members (errata, abstracts, protocols, parts, letters) are placed in at least one
    file that also holds their partner, so a deduplicator meets both side by side.
    """
    count = {f: 0 for f in DATABASES}
    by_id = {w.wid: w for w in works}
    allowed_kind = {"abstract": ["psycinfo", "cinahl", "wos"]}
    for w in works:
        if w.kind == "grey":
            continue
        j = JOURNALS[w.journal]
        allowed = [f for f in allowed_kind.get(w.kind, DATABASES)
                   if j.medline or f not in ("ovid", "pubmed")]
        k = rng.choices([1, 2, 3, 4], K_WEIGHTS.get(w.cat, K_DEFAULT))[0]
        partner = by_id.get(w.related) if w.related and w.cat != "part" else None
        chosen = []
        if partner:
            shared = [f for f in partner.files if f in allowed] or allowed[:1]
            first = rng.choice(shared)
            if first not in partner.files:
                partner.files.append(first)
                count[first] += 1
            chosen.append(first)
        if w.cat == "part" and w.related in by_id and by_id[w.related].files:
            chosen = list(by_id[w.related].files)
        while len(chosen) < min(k, len(allowed)):
            cand = [f for f in allowed if f not in chosen]
            weights = [max(TARGET[f] - count[f], 1) * CAT_DB_WEIGHT.get(w.cat, {}).get(f, 1.0)
                       for f in cand]
            chosen.append(rng.choices(cand, weights)[0])
        w.files = [f for f in DATABASES if f in chosen]
        for f in w.files:
            count[f] += 1
    for w in works:
        if w.kind == "grey":
            w.files = ["grey"]
        w.ids["psycinfo"] = f"{w.year}-{rng.randint(10000, 99999)}-{rng.randint(1, 20):03d}"
        w.ids["cinahl"] = str(rng.randint(104_000_000, 160_000_000))
        w.ids["wos"] = (f"WOS:A{w.year}{rng.choice('BCDFGHJKLMNPQRTVWXY')}{rng.choice('ABCDEFGH')}"
                        f"{rng.randint(10000, 99999)}{rng.randint(1, 40):05d}" if w.year < 1997
                        else f"WOS:{(w.year - 1900) * 10**9 + rng.randrange(10**9):015d}")


# ---------------------------------------------------------------- per-copy variation
def render_title(w, src, rng):
    """The same title as each source prints it (dashes, final period, casing, '&')."""
    t = w.title
    if src in ("ovid", "pubmed", "wos"):
        t = t.replace("–", "-")
    if src in ("psycinfo", "cinahl", "ovid") and rng.random() < 0.08:
        t = t.replace(": ", " : ", 1)
    if src in ("psycinfo", "cinahl", "wos") and rng.random() < 0.15:
        t = t.replace(" & ", " and ") if " & " in t else t.replace(" and ", " & ", 1)
    if src == "cinahl" and rng.random() < 0.4:
        t = title_case(t)
    if src in ("ovid", "pubmed") and not t.endswith((".", "?")):
        t += "."
    if src == "ovid":
        t = fold(t)
    if src == "wos" and w.year < 1991:
        t = t.upper()
    return t


def doi_for(w, src, rng):
    return "" if not w.doi or rng.random() < DOI_DROP[src] else w.doi


def cite(w):
    """NLM citation 'TA. 2019 Mar;23(2):123-9.' used in SO, EFR and CON lines."""
    j = JOURNALS[w.journal]
    dp = f"{w.year} {MONTHS[w.month - 1]}" + (f" {w.day}" if j.artnum else "")
    return (f"{j.ta}. {dp};{w.volume}" + (f"({w.issue})" if w.issue else "")
            + f":{compact_pages(*w.pages)}.")


def pub_types(w):
    return {"erratum": ["Published Erratum"], "letter": ["Letter", "Comment"],
            "abstract": ["Congress"]}.get(w.kind, ["Journal Article"])


def lines_for(pairs, sep="  - "):
    return [f"{tag}{sep}{val}" for tag, val in pairs if val]


# ---------------------------------------------------------------- writers, one per dialect
def write_ovid(works, rng):
    """Ovid MEDLINE RIS: numbered records, A1/N2/JF/JA tags, compact pages, 'ER  -' + NL link."""
    out, order = [], []
    for n, w in enumerate(works, 1):
        j, title = JOURNALS[w.journal], render_title(w, "ovid", rng)
        doi = doi_for(w, "ovid", rng)
        kws = [("*" if major else "") + h + (f"/{SUBHEADINGS[s]}" if s else "")
               for h, s, major in w.mesh]
        url = "http://ovidsp.ovid.com/ovidweb.cgi?T=JS&{}NEWS=N&PAGE={}&D=medl&AN=" + w.pmid
        rec = [("TY", "JOUR"), ("ID", w.pmid), ("T1", title)]
        rec += [("A1", fold(f"{s}, {g} {m}".strip())) for s, g, m in w.authors]
        rec += [("Y1", f"{w.year}//"), ("N2", w.abstract)] + [("KW", k) for k in kws]
        rec += [("JF", j.full), ("JA", j.ta), ("VL", w.volume), ("IS", w.issue),
                ("SP", compact_pages(*w.pages)), ("SN", issn(j.pissn or j.eissn)),
                ("DO", doi and "http://dx.doi.org/" + doi), ("UR", url.format("", "reference")),
                ("M3", pub_types(w)[0]), ("LA", "English")]
        out += [f"{n}.", *lines_for(rec), "ER  -", "Link to the Ovid Full Text or citation:",
                "NL  - " + url.format("CSC=Y&", "fulltext"), ""]
        order.append((w, title))
    return "\n".join(out) + "\n", order, False


def write_ebsco(works, rng, db):
    """EBSCO RIS (PsycInfo 'psyh' / CINAHL 'ccm'): AU/T1/JO/JF, AB + copyright AB, DOI in L3."""
    out, order = [], []
    for w in works:
        j, title = JOURNALS[w.journal], render_title(w, db, rng)
        doi = doi_for(w, db, rng)
        jname = j.full.replace(" & ", " and ") if db == "cinahl" else j.full
        if db == "cinahl" and rng.random() < 0.5:
            authors = [f"{s}, " + " ".join(c + "." for c in initials(g, m))
                       for s, g, m in w.authors]
        else:
            authors = [f"{s}, {g} {m}." if m else f"{s}, {g}" for s, g, m in w.authors]
        an = w.ids[db]
        if db == "psycinfo":
            legal = (f"(PsycInfo Database Record (c) {max(w.year, 2020) + rng.randint(0, 3)} APA, "
                     "all rights reserved)" if w.year >= 2005 or rng.random() < 0.5 else
                     f"(PsycINFO Database Record (c) {max(w.year, 2002) + 1} APA, all rights "
                     "reserved)")
            note = (f"Accession Number: {an}. Publication Type: Journal (0100), Peer Reviewed "
                    f"Journal (0110). Document Type: {pub_types(w)[0]}. Language: English.")
            year_tags = [("Y1", f"{w.year}/{w.month:02d}//")]
            pages = [("SP", w.pages[0]), ("EP", w.pages[1])]
            sn = issn(j.pissn or j.eissn).replace("-", "")
        else:
            legal = (f"Copyright of {jname} is the property of {j.publisher} and its content may "
                     "not be copied or emailed to multiple sites or posted to a listserv without "
                     "the copyright holder's express written permission. However, users may print,"
                     " download, or email articles for individual use.")
            note = (f"Accession Number: {an}. Language: English. Entry Date: {w.year + 1}0115. "
                    f"Publication Type: {'Abstract' if w.kind == 'abstract' else 'Article'}.")
            year_tags = [("PY", str(w.year)), ("DA", f"{w.year}/{w.month:02d}//")]
            pages = [("SP", "-".join(p for p in w.pages if p))]
            sn = issn(j.pissn or j.eissn)
        rec = [("TY", "ABST" if w.kind == "abstract" else "JOUR")]
        rec += [("AU", a) for a in authors]
        rec += [("T1", title), ("JO", jname), ("JF", jname), *year_tags, ("VL", w.volume),
                ("IS", w.issue), *pages, ("SN", sn), ("AB", w.abstract),
                ("AB", w.abstract and legal), ("L3", doi),
                ("UR", f"https://search.ebscohost.com/login.aspx?direct=true&db="
                       f"{'psyh' if db == 'psycinfo' else 'ccm'}&AN={an}&site=ehost-live")]
        rec += [("KW", k) for k in w.keywords]
        m3 = {"abstract": "Conference Abstract", "erratum": "Erratum/Correction",
              "letter": "Letter"}.get(w.kind, "Article")
        rec += [("M3", m3),
                ("DB", "psyh" if db == "psycinfo" else "ccm"), ("DP", "EBSCOhost"), ("N1", note)]
        out += [*lines_for(rec), "ER  - ", ""]
        order.append((w, title))
    return "\r\n".join(out) + "\r\n", order, db == "cinahl"


def nbib_field(tag, value):
    """PubMed tag padded to 4 characters, value wrapped with 6-space continuation lines."""
    parts = wrap(value, 74) or [""]
    return [f"{tag:<4}- {parts[0]}"] + ["      " + p for p in parts[1:]]


def write_pubmed(works, rng, by_id):
    """PubMed .nbib (MEDLINE format): 4-character tags, FAU/AU pairs, wrapped TI/AB, SO line."""
    out, order = [""], []
    for w in works:
        j, title = JOURNALS[w.journal], render_title(w, "pubmed", rng)
        doi, pub = doi_for(w, "pubmed", rng), date(w.year, w.month, w.day)
        indexed = w.kind not in ("erratum", "abstract")
        dp = f"{w.year} {MONTHS[w.month - 1]}" + (f" {w.day}" if j.artnum else "")
        pg = compact_pages(*w.pages)
        rec = [("PMID", w.pmid), ("OWN", "NLM"), ("STAT", "MEDLINE" if indexed else
                                                  "PubMed-not-MEDLINE")]
        if indexed:
            rec.append(("DCOM", (pub + timedelta(days=70)).strftime("%Y%m%d")))
        rec.append(("LR", (pub + timedelta(days=400 + rng.randint(0, 900))).strftime("%Y%m%d")))
        if j.pissn:
            rec.append(("IS", issn(j.pissn) + " (Print)"))
        rec += [("IS", issn(j.eissn) + " (Electronic)"),
                ("IS", issn(j.pissn or j.eissn) + " (Linking)"), ("VI", w.volume),
                ("IP", w.issue), ("DP", dp), ("TI", title), ("PG", pg)]
        if j.artnum:
            rec.append(("LID", f"{w.pages[0]} [pii]"))
        rec += [("LID", doi and f"{doi} [doi]"), ("AB", w.abstract)]
        for s, g, m in w.authors:
            rec += [("FAU", f"{s}, {g} {m}".strip()), ("AU", f"{s} {initials(g, m)}")]
            if (s, g, m) == w.authors[0] and w.year >= 2000:
                rec.append(("AD", f"{w.place[3]}, {w.place[2]}, {w.place[1]}."))
        rec += [("LA", "eng")] + [("PT", p) for p in pub_types(w)]
        if w.year >= 2005:
            rec.append(("DEP", (pub - timedelta(days=30)).strftime("%Y%m%d")))
        rec += [("PL", j.pl), ("TA", j.ta), ("JT", j.jt), ("JID", j.jid)]
        if w.kind in ("erratum", "letter"):
            orig = by_id[w.related]
            rec.append(("EFR" if w.kind == "erratum" else "CON",
                        ("" if w.kind == "erratum" else "Comment on: ")
                        + f"{cite(orig)} PMID: {orig.pmid}"))
        if indexed:
            rec += [("SB", "IM")]
            rec += [("MH", ("*" if major and not s else "") + h + (f"/{'*' if major else ''}{s}"
                            if s else "")) for h, s, major in w.mesh]
        if w.year >= 2008 and w.keywords:
            rec += [("OTO", "NOTNLM")] + [("OT", k) for k in w.keywords]
        edat = (pub - timedelta(days=29)).strftime("%Y/%m/%d")
        rec += [("EDAT", f"{edat} 06:00"), ("MHDA", f"{edat} 06:01"), ("CRDT", f"{edat} 05:12"),
                ("AID", doi and f"{doi} [doi]"), ("PST", "ppublish"),
                ("SO", cite(w) + (f" doi: {doi}." if doi else ""))]
        for tag, val in rec:
            if val:
                out += nbib_field(tag, val)
        out.append("")
        order.append((w, title))
    return "\n".join(out), order, False


def write_wos(works, rng):
    """Web of Science .ciw: FN/VR header, 2-letter tags, 3-space continuations, ER, final EF."""
    out, order = ["FN Clarivate Analytics Web of Science", "VR 1.0"], []

    def multi(tag, values):
        return [f"{tag} {values[0]}"] + [f"   {v}" for v in values[1:]] if values else []

    for w in works:
        j, title = JOURNALS[w.journal], render_title(w, "wos", rng)
        doi = doi_for(w, "wos", rng)
        au = [f"{s}, {initials(g, m)}" for s, g, m in w.authors] or ["[Anonymous]"]
        af = [f"{s}, {g} {m}." if m else f"{s}, {g}" for s, g, m in w.authors] or ["[Anonymous]"]
        if w.year < 1991:
            au = [fold(a).upper() for a in au]
        if w.year < 2006:
            af = au
        dt = {"erratum": "Correction", "letter": "Letter", "abstract": "Meeting Abstract"}
        lines = ["PT J", *multi("AU", au), *multi("AF", af), *multi("TI", wrap(title, 77)),
                 f"SO {j.full.upper()}", "LA English", f"DT {dt.get(w.kind, 'Article')}"]
        if w.year >= 1991:
            lines += multi("DE", wrap("; ".join(w.keywords), 77))
        lines += multi("AB", wrap(w.abstract, 77))
        if w.authors:
            names = "; ".join(af if w.year >= 2006 else au)
            lines.append(f"C1 [{names}] {w.place[4]}, {w.place[2]}, {w.place[1]}.")
        pd = f"{MONTHS[w.month - 1].upper()} {w.print_year}" if w.print_year == w.year else \
            f"JAN {w.print_year}"
        rec = [("SN", issn(j.pissn)), ("EI", issn(j.eissn)), ("J9", j.j9), ("JI", j.ji),
               ("PD", pd), ("PY", str(w.print_year)), ("VL", w.volume)]
        if w.issue.startswith("Suppl"):
            rec += [("SU", "1")]
        else:
            rec += [("IS", w.issue)]
        if w.pages[1] or w.pages[0].startswith("S"):
            rec += [("BP", w.pages[0]), ("EP", w.pages[1] or w.pages[0])]
        else:
            rec += [("AR", w.pages[0])]
        rec += [("DI", doi), ("PM", w.pmid if rng.random() < 0.7 else ""), ("UT", w.ids["wos"])]
        out += lines + lines_for(rec, " ") + ["ER", ""]
        order.append((w, title))
    return "\n".join(out + ["EF"]) + "\n", order, False


def write_grey(works):
    """Hand-collected grey literature as RIS: RPRT/GEN/ELEC/THES, PB/CY/PY/UR, rarely a DOI."""
    out, order = [], []
    for w in works:
        if w.kind == "grey":
            ty, pub, city, url, m3 = w.grey
            authors = w.authors
        else:  # an author manuscript of a journal paper, posted on a charity's website
            ty, pub, city, m3 = "ELEC", "Harbour Peer Support Trust", "Plymouth", \
                "Author accepted manuscript"
            url = "https://www.harbourpeersupport.example.org/research/" + w.wid.lower()
            authors = [f"{s}, {g}" for s, g, m in w.authors]
        rec = [("TY", ty)] + [("AU", a) for a in authors]
        rec += [("T1", w.title), ("PY", str(w.year)), ("PB", pub), ("CY", city), ("M3", m3),
                ("AB", w.abstract), ("UR", url), ("DO", w.doi if w.kind == "grey" else ""),
                ("KW", "self-harm"), ("KW", "peer support")]
        out += [*lines_for(rec), "ER  - ", ""]
        order.append((w, w.title))
    return "\n".join(out), order, False


# ---------------------------------------------------------------- main
def main(outdir):
    rng = random.Random(SEED)
    works = build_works(rng)
    assign_files(works, rng)
    by_id = {w.wid: w for w in works}
    per_file = {f: [w for w in works if f in w.files] for f in FILES}
    for f in ("ovid", "psycinfo", "cinahl"):
        rng.shuffle(per_file[f])           # relevance order: effectively random
    per_file["pubmed"].sort(key=lambda w: -int(w.pmid))                  # "most recent"
    per_file["wos"].sort(key=lambda w: (-w.print_year, -w.month, w.ids["wos"]))
    manuscript = next(w for w in works if w.cat == "eligible" and w.year >= 2015
                      and len(w.files) == 1)
    per_file["grey"].insert(rng.randint(3, 10), manuscript)
    writers = {"ovid": lambda ws: write_ovid(ws, rng),
               "psycinfo": lambda ws: write_ebsco(ws, rng, "psycinfo"),
               "cinahl": lambda ws: write_ebsco(ws, rng, "cinahl"),
               "pubmed": lambda ws: write_pubmed(ws, rng, by_id),
               "wos": lambda ws: write_wos(ws, rng), "grey": write_grey}
    outdir.mkdir(parents=True, exist_ok=True)
    truth, manifest = [], []
    for key, (name, source, kind, searched, fmt) in FILES.items():
        text, order, bom = writers[key](per_file[key])
        lo, hi = RANGES[key]
        assert lo <= len(order) <= hi, f"{name}: {len(order)} records outside {lo}-{hi}"
        (outdir / name).write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
        manifest.append([name, source, kind, searched, fmt, len(order)])
        truth += [[name, i, w.wid, w.cat, t, w.related] for i, (w, t) in enumerate(order, 1)]
    write_csv(outdir / "manifest.csv",
              ["file", "source", "kind", "searched", "format", "records"], manifest)
    write_csv(outdir / "truth.csv",
              ["file", "position", "work_id", "category", "title", "related_work_id"], truth)
    multi = sum(1 for w in works if len({r[0] for r in truth if r[2] == w.wid}) > 1)
    print(f"{len(truth)} records, {len({r[2] for r in truth})} works, {multi} in 2+ files")


def write_csv(path, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write the synthetic sample exports.")
    parser.add_argument("outdir", nargs="?", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write into (default: the folder of this script)")
    main(parser.parse_args().outdir)
