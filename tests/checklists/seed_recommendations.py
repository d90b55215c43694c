from __future__ import annotations

# One key per distinct recommendation on the seed page
# (seeds/000_a319c562b6b77486.txt, RAND "Law Enforcement Response"),
# mapped to the catalog item codes that cover it.
SEED_RECOMMENDATIONS: dict[str, tuple[str, ...]] = {
    "Immediate action: stop the killing, then stop the dying (shift from staging)": (
        "LER-01",
        "LER-02",
    ),
    "Responders must overcome fear and not freeze (opening quote)": ("LER-07",),
    "Identify a response role for each individual": ("LER-04",),
    "Prepare mental maps of how to respond": ("LER-05",),
    "Train to act without time to think; rehearse and reinforce the response": ("LER-06", "LER-07"),
    "Scene priorities: stop the action, render aid, get people to hospital": ("LER-03", "LER-25"),
    "Overcome egos; view operational control holistically with refined processes": (
        "LER-12",
        "LER-13",
    ),
    "Co-locate offices or form joint units to aid collaboration": ("LER-14",),
    "Keep distance and cover from a potential shooter (Blair et al., 2011)": ("LER-08",),
    "Mentally rehearse high-risk buildings (constrained labyrinth), egress routes and partners": (
        "LER-10",
        "LER-11",
    ),
    "Train moving and firing together instead of frontal charges (Sandel et al., 2021)": (
        "LER-09",
    ),
    "SROs: policy to get potential victims to a safe place": ("LER-16",),
    "SROs follow departmental incident-command policy at the same time": ("LER-17", "LER-15"),
    "School security and leadership join exercises to learn how police deploy": ("LER-18",),
    "Incorporate school resources such as security cameras": ("LER-19",),
    "FBI-ALERRT two-day Level I course (about 24-30 participants, no cost, host provides venue)": (
        "LER-20",
    ),
    "ALERRT train-the-trainer component": ("LER-21",),
    "Civilian Response to Active Shooter Events (CRASE) option": ("LER-22",),
    "Solo Officer Rapid Deployment (SORD) option": ("LER-23",),
    "Joint response responsibilities with fire/EMS (IAFF endorsement of ALERRT)": (
        "LER-24",
        "LER-25",
        "LER-26",
    ),
}
