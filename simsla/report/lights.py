"""Traffic lights as every output shows them: colours, symbols and what they mean (no plotting imports)."""

from __future__ import annotations

from simsla.analysis.verdict import DEFAULT_CONFIDENCE

#: traffic lights: colour-blind-distinguishable (green and vermillion differ in hue *and* lightness from yellow)
LIGHTS = {"green": "#009E73", "amber": "#F0E442", "red": "#D55E00", "none": "#DDDDDD"}
#: symbol printed with each light, so it reads without colour
SYMBOLS = {"green": "✓", "amber": "!", "red": "✗", "none": "–"}
#: the accepted breach probability per period the lights are drawn against by default
RISK_LINE = 1.0 - DEFAULT_CONFIDENCE
#: what each light means, for legends
MEANINGS = {
    "attainment": {"green": "met with margin", "amber": "met, within the warning margin",
                   "red": "breached", "none": "nothing to count"},
    "risk": {"green": f"95 % interval of the breach probability below {RISK_LINE:.0%}",
             "amber": f"interval straddles {RISK_LINE:.0%}: cannot tell",
             "red": f"interval above {RISK_LINE:.0%}", "none": "no complete period"},
}
