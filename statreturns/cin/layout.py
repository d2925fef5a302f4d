"""Column layout of the raw CIN census tables (no pandas here: the reader's worker process imports it)."""

from __future__ import annotations

CHILD = "LAchildID"

# Column layout of each raw table, in XSD order. Key columns first.
COLUMNS: dict[str, list[str]] = {
    "Header": ["Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode", "Release",
               "SerialNo", "DateTime"],
    "ChildIdentifiers": [CHILD, "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
                         "GenderCurrent", "Sex", "PersonDeathDate"],
    "ChildCharacteristics": [CHILD, "Ethnicity"],
    "Disabilities": [CHILD, "Disability"],
    "CINdetails": [CHILD, "CINdetailsID", "CINreferralDate", "ReferralSource", "PrimaryNeedCode",
                   "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA"],
    "Assessments": [CHILD, "CINdetailsID", "AssessmentID", "AssessmentActualStartDate",
                    "AssessmentInternalReviewDate", "AssessmentAuthorisationDate"],
    "AssessmentFactorsList": [CHILD, "CINdetailsID", "AssessmentID", "AssessmentFactors"],
    "CINplanDates": [CHILD, "CINdetailsID", "CINPlanStartDate", "CINPlanEndDate"],
    "Section47": [CHILD, "CINdetailsID", "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
                  "ICPCnotRequired"],
    "ChildProtectionPlans": [CHILD, "CINdetailsID", "CPPID", "CPPstartDate", "CPPendDate",
                             "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP"],
    "Reviews": [CHILD, "CINdetailsID", "CPPID", "CPPreviewDate"],
    "PreProceedings": [CHILD, "CINdetailsID", "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
                       "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate", "PPOutcome",
                       "CourtAppDate", "LetterInitCPDate"],
}
